package docs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/audit"
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
// number back. The counter is taken last, in one statement that also writes the
// number, so that its row stays locked for as short a time as possible (until commit).
func (s *Service) Issue(ctx context.Context, a Actor, docID int64, note string) (IssueResult, error) {
	var res IssueResult
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, t, err := s.enter(ctx, tx, a, outgoing, docID, "issue")
		if err != nil {
			return err
		}
		plan, err := s.planNumber(ctx, tx, d)
		if err != nil {
			return err
		}
		if err := recordTransition(ctx, tx, docID, string(d.OutgoingState), t.to, "issue", a.UserID, note); err != nil {
			return err
		}
		entry, err := s.auditEntry(ctx, tx, a, "issue", docID, map[string]any{"from": d.OutgoingState, "to": t.to, "note": note})
		if err != nil {
			return err
		}
		// From here to the commit the series is locked: as few statements as possible.
		if res, err = takeNumber(ctx, tx, plan); err != nil {
			return err
		}
		entry.Detail["number"] = res.Printed
		if err := audit.Record(ctx, tx, entry); err != nil {
			return err
		}
		return s.stampNumber(ctx, tx, d, res, plan.issued)
	})
	return res, err
}

// numberPlan is everything an issuance needs except the number itself.
type numberPlan struct {
	docID              int64
	agencyID           int64
	series, notation   string
	organID, organName string
	issued             time.Time
}

func (s *Service) planNumber(ctx context.Context, tx pgx.Tx, d *Record) (numberPlan, error) {
	p := numberPlan{docID: d.ID, agencyID: d.AgencyID, issued: s.today()}
	var agencyAbbr, unitAbbr string
	var perType bool
	err := tx.QueryRow(ctx, `SELECT a.abbreviation, a.organ_id, a.name, coalesce(u.abbreviation, ''), coalesce(n.per_type, false)
		FROM agencies a LEFT JOIN units u ON u.id = $2 LEFT JOIN numbering_settings n ON n.agency_id = a.id
		WHERE a.id = $1`, d.AgencyID, nullID(d.UnitID)).Scan(&agencyAbbr, &p.organID, &p.organName, &unitAbbr, &perType)
	if err != nil {
		return p, fmt.Errorf("docs: unable to read the issuing agency: %w", err)
	}
	t, _ := LookupType(d.Type)
	if t.Abbreviation != "" {
		unitAbbr = "" // only a công văn or thư công carries the drafting unit in its symbol
	} else if unitAbbr == "" {
		return p, invalid("Công văn cần đơn vị soạn thảo để ghi ký hiệu.", "document %d has no drafting unit", d.ID)
	}
	p.series = outgoingSeries(perType, d.Type, d.Secrecy)
	p.notation = Notation(t, agencyAbbr, unitAbbr)
	return p, nil
}

// takeNumber increments the series counter and writes the number, date, identifiers
// and the numbered state on the document, in one statement.
func takeNumber(ctx context.Context, tx pgx.Tx, p numberPlan) (IssueResult, error) {
	res := IssueResult{Notation: p.notation}
	err := tx.QueryRow(ctx, `
		WITH n AS (`+takeCounterSQL+`)
		UPDATE documents SET outgoing_state = 'numbered', updated_at = now(),
			code_number = docs_number(n.last_number), code_notation = $4, issued_date = $5,
			number_series = $3, issuer_organ_id = $6, issuer_name = $7,
			external_id = $6 || ',' || to_char($5::date, 'YYYY/MM/DD') || ',' || docs_number(n.last_number) || '/' || $4
		FROM n WHERE documents.id = $8
		RETURNING n.last_number`,
		p.agencyID, p.issued.Year(), p.series, p.notation, p.issued, p.organID, p.organName, p.docID).Scan(&res.Number)
	if store.IsUniqueViolation(err, "documents_outgoing_number_key") {
		return res, &Error{Kind: ErrDuplicate, Message: "Số, ký hiệu tiếp theo của sổ văn bản đi (" + p.notation + ") đã được dùng trong năm; báo quản trị kiểm tra sổ.",
			Detail: fmt.Sprintf("the next number of series %s/%d with notation %s is already used", p.series, p.issued.Year(), p.notation)}
	}
	if err != nil {
		return res, fmt.Errorf("docs: unable to issue a number in series %s/%d: %w", p.series, p.issued.Year(), err)
	}
	res.Printed = PrintedNumber(res.Number, res.Notation)
	return res, nil
}

// stampNumber writes the number and date onto the PDF when a signing hook is set.
func (s *Service) stampNumber(ctx context.Context, tx pgx.Tx, d *Record, res IssueResult, issued time.Time) error {
	if s.Signing == nil {
		return nil
	}
	stamp := NumberStamp{DocumentID: d.ID, CodeNumber: FormatNumber(res.Number), CodeNotation: res.Notation, Place: d.Place, IssuedDate: issued}
	return s.applySignature(ctx, tx, d.ID, 0, "Bản đã ghi số, ngày ban hành", "",
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
