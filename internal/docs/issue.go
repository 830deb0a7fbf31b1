package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
// document stays marked as not digitally signed. The signature is computed outside
// every transaction and lock (see runPDFStep). The hook signs with the server's
// keyring (DeviceServer), which an agency requiring personal keys refuses: its
// people sign with PrepareSignature and CompleteSignature.
func (s *Service) Sign(ctx context.Context, a Actor, docID int64, in SignInput) error {
	in, err := checkSignInput(in)
	if err != nil {
		return err
	}
	if s.Signing == nil { // no appearance draws the signer's block: a composed draft prints it
		layout, err := s.recomposeForSigner(ctx, a, docID, in)
		if err != nil {
			return err
		}
		return s.transitionOutgoing(ctx, a, docID, "sign", in.Note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
			if err := s.recordSigner(ctx, tx, a, d, in); err != nil {
				return err
			}
			return s.saveRecomposed(ctx, tx, a, docID, layout)
		})
	}
	step := signStep(in, DeviceServer)
	step.prepare = func(ctx context.Context, tx pgx.Tx, d *Record) (pdfTransform, error) {
		if err := refuseServerKey(ctx, tx, d.AgencyID); err != nil {
			return nil, err
		}
		sig, err := s.leaderSignature(ctx, tx, a, d, in)
		if err != nil {
			return nil, err
		}
		return func(in io.Reader, out io.Writer) error { return s.Signing.SignAsLeader(ctx, in, out, sig) }, nil
	}
	step.record = func(ctx context.Context, tx pgx.Tx, d *Record) error { return s.recordSigner(ctx, tx, a, d, in) }
	return s.runPDFStep(ctx, a, docID, step)
}

// signStep is the leader's signature step made with a key held on device, without
// its prepare and record functions.
func signStep(in SignInput, device string) pdfStep {
	return pdfStep{action: "sign", note: in.Note, fileNote: "Bản đã ký số của người có thẩm quyền", flag: "leader_signed", device: device}
}

// checkSignInput trims the authority line and refuses one with no known prefix.
func checkSignInput(in SignInput) (SignInput, error) {
	in.Competence = strings.TrimSpace(in.Competence)
	if in.Competence != "" && (SignerInfo{Competence: in.Competence}).CompetencePrefix() == "" {
		return in, invalid("Thẩm quyền ký phải bắt đầu bằng TM., Q., KT., TL. hoặc TUQ.",
			"competence %q has no known prefix", in.Competence)
	}
	return in, nil
}

// leaderSignature reads, in the first transaction of a signature, what the signer's
// appearance shows and where it goes.
func (s *Service) leaderSignature(ctx context.Context, tx pgx.Tx, a Actor, d *Record, in SignInput) (LeaderSignature, error) {
	signer, username, err := s.signer(ctx, tx, a, in)
	if err != nil {
		return LeaderSignature{}, err
	}
	if _, err := s.signingDelegation(ctx, tx, a, &signer); err != nil {
		return LeaderSignature{}, err
	}
	placed, err := storedPlacement(ctx, tx, d.ID)
	if err != nil {
		return LeaderSignature{}, err
	}
	return LeaderSignature{DocumentID: d.ID, UserID: a.UserID, Username: username, Signer: signer, At: s.now(),
		Area: placed.Signature, Printed: placed.SignatureSource == PlacementText}, nil
}

// recordSigner writes who signed on the document, in the final transaction of a
// signature, with the audit entry of a signature under a delegation.
func (s *Service) recordSigner(ctx context.Context, tx pgx.Tx, a Actor, d *Record, in SignInput) error {
	signer, _, err := s.signer(ctx, tx, a, in)
	if err != nil {
		return err
	}
	held, err := s.signingDelegation(ctx, tx, a, &signer)
	if err != nil {
		return err
	}
	if err := s.auditSignedOnBehalf(ctx, tx, a, d.ID, held); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE documents SET signer_competence = $1, signer_position = $2, signer_name = $3,
		signer_user_id = $4 WHERE id = $5`, signer.Competence, signer.Position, signer.FullName, a.UserID, d.ID)
	if err != nil {
		return fmt.Errorf("docs: unable to record the signer: %w", err)
	}
	return nil
}

// signer reads who signs: the actor's name and position (unless the input overrides
// the position), and their username, which names their key.
func (s *Service) signer(ctx context.Context, tx pgx.Tx, a Actor, in SignInput) (SignerInfo, string, error) {
	signer := SignerInfo{Competence: in.Competence, Position: strings.TrimSpace(in.Position), UserID: a.UserID}
	var username, position string
	if err := tx.QueryRow(ctx, `SELECT u.full_name, u.username, m.position FROM users u
		JOIN memberships m ON m.user_id = u.id AND m.agency_id = $2 WHERE u.id = $1`, a.UserID, a.AgencyID).
		Scan(&signer.FullName, &username, &position); err != nil {
		return signer, "", fmt.Errorf("docs: unable to read the signer: %w", err)
	}
	if signer.Position == "" {
		signer.Position = position
	}
	return signer, username, nil
}

// IssueResult is the number given to a document.
type IssueResult struct {
	Number   int
	Notation string
	Printed  string // "Số: 05/QĐ-UBND"
}

// Issue gives the signed document its number and date, from the agency's register for
// the year, in the same transaction as the state change: a failure anywhere gives the
// number back. The counter is taken last but the audit entry, in one statement that
// also writes the number, so that its row stays locked for as short a time as
// possible (until commit).
//
// With a signing hook the number must also be stamped on the PDF, which takes far
// longer than the transaction. Stamping inside it would hold the counter (every
// issuance of the series) and the audit chain (every write of the agency) meanwhile,
// and stamping with a number guessed before the transaction would make concurrent
// issuances of a series retry one another. So the number commits first, with the
// document marked as waiting for its stamp; the stamp is then written outside every
// lock and saved by a second short transaction (StampPending). A stamp that fails, or
// a node that stops in between, loses no number and duplicates none: the document
// keeps its number, the agency's signature waits for the stamp, and the periodic job
// stamps whatever is still waiting.
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
		plan.stampPending = s.Signing != nil
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
		if !plan.stampPending {
			if err := nameIssuedFile(ctx, tx, docID, res, plan.issued.Year()); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, entry)
	})
	if err != nil || s.Signing == nil {
		return res, err
	}
	if err := s.stampNumber(ctx, docID); err != nil {
		slog.Warn("docs: number issued, its stamp on the PDF is left to the periodic job", "document", docID, "number", res.Printed, "err", err)
	}
	return res, nil
}

// numberPlan is everything an issuance needs except the number itself.
type numberPlan struct {
	docID              int64
	agencyID           int64
	series, notation   string
	organID, organName string
	issued             time.Time
	stampPending       bool // the number still has to be stamped on the PDF
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
			number_series = $3, issuer_organ_id = $6, issuer_name = $7, stamp_pending = $9,
			external_id = $6 || ',' || to_char($5::date, 'YYYY/MM/DD') || ',' || docs_number(n.last_number) || '/' || $4
		FROM n WHERE documents.id = $8
		RETURNING n.last_number`,
		p.agencyID, p.issued.Year(), p.series, p.notation, p.issued, p.organID, p.organName, p.docID, p.stampPending).Scan(&res.Number)
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

// Seal records the clerk's agency signature (ký số của cơ quan, tổ chức), computed
// outside every transaction and lock (see runPDFStep). The agency signs the PDF that
// carries the number: once the step is allowed, a stamp still pending is written
// first.
func (s *Service) Seal(ctx context.Context, a Actor, docID int64, note string) error {
	if s.Signing == nil {
		return s.transitionOutgoing(ctx, a, docID, "seal", note, nil)
	}
	step := pdfStep{
		action: "seal", note: note, fileNote: "Bản đã ký số của cơ quan", flag: "agency_signed",
		prepare: func(ctx context.Context, tx pgx.Tx, d *Record) (pdfTransform, error) {
			seal := AgencySeal{DocumentID: d.ID, AgencyID: d.AgencyID, ClerkID: a.UserID, At: s.now()}
			var pending bool
			err := tx.QueryRow(ctx, `SELECT d.stamp_pending, a.organ_id, a.name FROM documents d JOIN agencies a ON a.id = d.agency_id
				WHERE d.id = $1`, d.ID).Scan(&pending, &seal.OrganID, &seal.AgencyName)
			if err != nil {
				return nil, fmt.Errorf("docs: unable to read the sealing agency: %w", err)
			}
			if pending {
				return nil, errStampPending
			}
			return func(in io.Reader, out io.Writer) error { return s.Signing.SealAsAgency(ctx, in, out, seal) }, nil
		},
	}
	err := s.runPDFStep(ctx, a, docID, step)
	if errors.Is(err, errStampPending) {
		if err := s.stampNumber(ctx, docID); err != nil {
			return err
		}
		err = s.runPDFStep(ctx, a, docID, step)
	}
	return err
}

// errStampPending refuses to seal a PDF that does not show its number yet.
var errStampPending = &Error{Kind: ErrIllegalTransition, Message: "Số, ngày ban hành đang được ghi lên tệp PDF; hãy thử lại sau ít phút.",
	Detail: "the document waits for its number stamp"}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
