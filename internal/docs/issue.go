package docs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// SignInput is the competent person's signing decision.
type SignInput struct {
	// Competence is the authority line ("KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN"); empty
	// when the head signs in their own name.
	Competence string
	// Position overrides the signer's position from their membership.
	Position string
	Note     string
}

// Sign records the competent person's signature. With a signing hook the PDF gets the
// digital signature (a new version); without one the decision is recorded and the
// document stays marked as not digitally signed.
func (s *Service) Sign(ctx context.Context, a Actor, docID int64, in SignInput) error {
	in.Competence = strings.TrimSpace(in.Competence)
	if in.Competence != "" && (SignerInfo{Competence: in.Competence}).CompetencePrefix() == "" {
		return invalid("Thẩm quyền ký phải bắt đầu bằng TM., Q., KT., TL. hoặc TUQ.",
			"competence %q has no known prefix", in.Competence)
	}
	return s.transitionOutgoing(ctx, a, docID, "sign", in.Note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		signer := SignerInfo{Competence: in.Competence, Position: strings.TrimSpace(in.Position), UserID: a.UserID}
		var position string
		if err := tx.QueryRow(ctx, `SELECT u.full_name, m.position FROM users u
			JOIN memberships m ON m.user_id = u.id AND m.agency_id = $2 WHERE u.id = $1`, a.UserID, a.AgencyID).
			Scan(&signer.FullName, &position); err != nil {
			return fmt.Errorf("docs: unable to read the signer: %w", err)
		}
		if signer.Position == "" {
			signer.Position = position
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET signer_competence = $1, signer_position = $2, signer_name = $3,
			signer_user_id = $4 WHERE id = $5`, signer.Competence, signer.Position, signer.FullName, a.UserID, d.ID); err != nil {
			return fmt.Errorf("docs: unable to record the signer: %w", err)
		}
		if s.Signing == nil {
			return nil
		}
		sig := LeaderSignature{DocumentID: d.ID, UserID: a.UserID, Signer: signer, At: s.now()}
		return s.applySignature(ctx, tx, d.ID, a.UserID, "Bản đã ký số của người có thẩm quyền", "leader_signed",
			func(in io.Reader, out io.Writer) error { return s.Signing.SignAsLeader(ctx, in, out, sig) })
	})
}

// IssueResult is the number given to a document.
type IssueResult struct {
	Number   int
	Notation string
	Printed  string // "Số: 05/QĐ-UBND"
}

// Issue gives the signed document its number and date, from the agency's register for
// the year, in the same transaction as the state change: a failure anywhere gives the
// number back.
func (s *Service) Issue(ctx context.Context, a Actor, docID int64, note string) (IssueResult, error) {
	var res IssueResult
	err := s.transitionOutgoing(ctx, a, docID, "issue", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		var err error
		res, err = s.issueNumber(ctx, tx, d)
		return err
	})
	return res, err
}

func (s *Service) issueNumber(ctx context.Context, tx pgx.Tx, d *Record) (IssueResult, error) {
	var agencyAbbr, organID, organName, unitAbbr string
	err := tx.QueryRow(ctx, `SELECT a.abbreviation, a.organ_id, a.name, coalesce(u.abbreviation, '')
		FROM agencies a LEFT JOIN units u ON u.id = $2 WHERE a.id = $1`, d.AgencyID, nullID(d.UnitID)).
		Scan(&agencyAbbr, &organID, &organName, &unitAbbr)
	if err != nil {
		return IssueResult{}, fmt.Errorf("docs: unable to read the issuing agency: %w", err)
	}
	t, _ := LookupType(d.Type)
	if t.Abbreviation != "" {
		unitAbbr = "" // only a công văn or thư công carries the drafting unit in its symbol
	} else if unitAbbr == "" {
		return IssueResult{}, invalid("Công văn cần đơn vị soạn thảo để ghi ký hiệu.", "document %d has no drafting unit", d.ID)
	}
	perType, err := NumberingPerType(ctx, tx, d.AgencyID)
	if err != nil {
		return IssueResult{}, err
	}
	issued := s.today()
	series := outgoingSeries(perType, d.Type, d.Secrecy)
	n, err := nextNumber(ctx, tx, d.AgencyID, issued.Year(), series)
	if err != nil {
		return IssueResult{}, err
	}
	res := IssueResult{Number: n, Notation: Notation(t, agencyAbbr, unitAbbr)}
	res.Printed = PrintedNumber(n, res.Notation)
	number := FormatNumber(n)
	_, err = tx.Exec(ctx, `UPDATE documents SET code_number = $1, code_notation = $2, issued_date = $3, number_series = $4,
		issuer_organ_id = $5, issuer_name = $6, external_id = $7 WHERE id = $8`,
		number, res.Notation, issued, series, organID, organName, ExternalID(organID, issued, number, res.Notation), d.ID)
	if store.IsUniqueViolation(err, "documents_outgoing_number_key") {
		return IssueResult{}, &Error{Kind: ErrDuplicate, Message: "Số, ký hiệu " + number + "/" + res.Notation + " đã được dùng trong năm.",
			Detail: fmt.Sprintf("number %s/%s already used in %d", number, res.Notation, issued.Year())}
	}
	if err != nil {
		return IssueResult{}, fmt.Errorf("docs: unable to record the number: %w", err)
	}
	if s.Signing == nil {
		return res, nil
	}
	stamp := NumberStamp{DocumentID: d.ID, CodeNumber: number, CodeNotation: res.Notation, Place: d.Place, IssuedDate: issued}
	return res, s.applySignature(ctx, tx, d.ID, 0, "Bản đã ghi số, ngày ban hành", "",
		func(in io.Reader, out io.Writer) error { return s.Signing.StampNumber(ctx, in, out, stamp) })
}

// Seal records the clerk's agency signature (ký số của cơ quan, tổ chức).
func (s *Service) Seal(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transitionOutgoing(ctx, a, docID, "seal", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if s.Signing == nil {
			return nil
		}
		seal := AgencySeal{DocumentID: d.ID, AgencyID: d.AgencyID, ClerkID: a.UserID, At: s.now()}
		return s.applySignature(ctx, tx, d.ID, a.UserID, "Bản đã ký số của cơ quan", "agency_signed",
			func(in io.Reader, out io.Writer) error { return s.Signing.SealAsAgency(ctx, in, out, seal) })
	})
}

// applySignature streams the current PDF through a signing function into a new main
// version, and sets the flag column saying which signature the PDF now carries. The
// source is read through the pool (it was committed by an earlier step) while the new
// version is written through tx.
func (s *Service) applySignature(ctx context.Context, tx pgx.Tx, docID, actorID int64, note, flag string, sign func(io.Reader, io.Writer) error) error {
	src, err := currentPDF(ctx, tx, docID)
	if err != nil {
		return err
	}
	srcR, srcW := io.Pipe()
	go func() {
		_, err := CopyBlob(ctx, s.Pool, src.BlobID, srcW)
		srcW.CloseWithError(err)
	}()
	outR, outW := io.Pipe()
	go func() {
		err := sign(srcR, outW)
		srcR.CloseWithError(err)
		outW.CloseWithError(err)
	}()
	_, err = addMainVersion(ctx, tx, docID, FileInput{Name: src.Name, MediaType: MediaPDF, Content: outR}, actorID, note, s.maxFileSize())
	outR.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("docs: signing document %d failed: %w", docID, err)
	}
	if flag == "" {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE documents SET `+pgx.Identifier{flag}.Sanitize()+` = true WHERE id = $1`, docID)
	return err
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
