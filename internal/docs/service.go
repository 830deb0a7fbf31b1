package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/audit"
	"edms/internal/store"
)

// Authorizer answers whether a user holds a permission in an agency; *access.Enforcer
// is the implementation.
type Authorizer interface {
	Can(userID, agencyID int64, p access.Permission) bool
}

// SigningHook applies the digital signatures of the outgoing lifecycle to a PDF stream
// (Phụ lục I). It is called outside every transaction, with everything it needs in
// its arguments: it must not query the database. The server wires it to package signing; without it the signing steps
// still record who decided, but the document stays honestly marked as not digitally
// signed (documents.leader_signed / agency_signed stay false).
type SigningHook interface {
	// SignAsLeader applies the competent person's signature (with the signature image).
	SignAsLeader(ctx context.Context, in io.Reader, out io.Writer, s LeaderSignature) error
	// StampNumber writes the issued number, symbol and date onto the signed PDF.
	StampNumber(ctx context.Context, in io.Reader, out io.Writer, n NumberStamp) error
	// SealAsAgency applies the agency's signature (the seal image, overlapping the left
	// third of the signer's image) by the clerk.
	SealAsAgency(ctx context.Context, in io.Reader, out io.Writer, s AgencySeal) error
	// PrepareLeader lays out the competent person's signature for key, which the
	// server does not hold: the PDF with the signature's appearance and an empty
	// value, and the digest the person's device signs (see PrepareSignature).
	PrepareLeader(ctx context.Context, in io.Reader, s LeaderSignature, key PersonalKey) (*PreparedLeader, error)
	// CompleteLeader embeds value, the device's signature of p.Digest, writes the
	// signed PDF to out (nothing on error), and refuses a result edms's verifier
	// does not find valid.
	CompleteLeader(ctx context.Context, p *PreparedLeader, value []byte, out io.Writer) error
	// CheckPersonalKey checks that key's certificate belongs to who, is valid at at,
	// allows signing, chains to the node's current trust anchors and is not revoked.
	CheckPersonalKey(ctx context.Context, key PersonalKey, who Person, at time.Time) error
}

// LeaderSignature describes the signer's signature to apply.
type LeaderSignature struct {
	DocumentID int64
	UserID     int64
	Username   string // names the signer's key
	Signer     SignerInfo
	At         time.Time
	// Area is where the signer placed the signature (see Placement); nil: the
	// form's area on the last page.
	Area *Area
	// Printed: the area was found in the document's own signer block, which prints
	// the position and the name; the signature adds only the handwriting.
	Printed bool
}

// NumberStamp is what the issuance writes on the document.
type NumberStamp struct {
	DocumentID   int64
	CodeNumber   string
	CodeNotation string
	Place        string
	IssuedDate   time.Time
	// Placement is where the number and date go on page 1 (see FindPlacement); an
	// area it lacks is the form's.
	Placement Placement
}

// AgencySeal describes the agency signature applied by the clerk.
type AgencySeal struct {
	DocumentID int64
	AgencyID   int64
	OrganID    string // names the agency's key
	AgencyName string
	ClerkID    int64
	At         time.Time
}

// Service runs the document workflows. Every state change commits in one transaction
// together with its transition row, its audit entry and the River jobs it causes.
type Service struct {
	Pool        *pgxpool.Pool
	Access      Authorizer
	Signing     SigningHook       // nil: signing steps record "not signed"
	Converter   *Converter        // nil or without LibreOffice: DOCX drafts are refused, upload a PDF
	Verifier    SignatureVerifier // nil: received documents stay "unchecked"
	Queue       JobInserter       // the River client that takes the jobs steps cause (required to send outside the node, answer exchanged documents, convert DOCX)
	MaxFileSize int64             // 0: DefaultMaxFileSize
	Now         func() time.Time
}

// Actor is the person acting and the agency they act in.
type Actor struct {
	UserID   int64
	AgencyID int64
	ClientIP string
}

// vietnam is the time zone of dates on documents (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().In(vietnam)
	}
	return time.Now().In(vietnam)
}

// today is the current date in Vietnam, at midnight UTC, as PostgreSQL dates read back.
func (s *Service) today() time.Time { return DateInVietnam(s.now()) }

// DateInVietnam is the date in Vietnam at the instant t, at midnight UTC, as
// PostgreSQL dates read back: a deadline or register day is a Vietnamese date,
// whatever the server's time zone.
func DateInVietnam(t time.Time) time.Time {
	y, m, d := t.In(vietnam).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Service) maxFileSize() int64 {
	if s.MaxFileSize > 0 {
		return s.MaxFileSize
	}
	return DefaultMaxFileSize
}

func (s *Service) require(a Actor, p access.Permission, who string) error {
	if s.Access.Can(a.UserID, a.AgencyID, p) {
		return nil
	}
	return forbidden("Bạn không có quyền thực hiện thao tác này; chỉ "+who+" được thực hiện.",
		"user %d lacks %s in agency %d", a.UserID, p, a.AgencyID)
}

// audit appends the action to the audit trail inside tx; a zero actor is the system.
// Inside a transition the entry waits for the end of the transaction (see
// withDeferredAudit).
func (s *Service) audit(ctx context.Context, tx pgx.Tx, a Actor, action string, docID int64, detail map[string]any) error {
	e, err := s.auditEntry(ctx, tx, a, action, docID, detail)
	if err != nil {
		return err
	}
	if pending, ok := ctx.Value(deferredAuditKey{}).(*[]audit.Entry); ok {
		*pending = append(*pending, e)
		return nil
	}
	return audit.Record(ctx, tx, e)
}

type deferredAuditKey struct{}

// withDeferredAudit runs fn collecting its audit entries, then appends them as the
// last statements of the transaction, chain by chain in a fixed order: the chains'
// locks are held only from there to the commit, and a transaction that writes to
// several agencies' chains (a hand-off, a recall) cannot deadlock with another one
// writing to the same chains in the other order.
func withDeferredAudit(ctx context.Context, tx pgx.Tx, fn func(ctx context.Context) error) error {
	var pending []audit.Entry
	if err := fn(context.WithValue(ctx, deferredAuditKey{}, &pending)); err != nil {
		return err
	}
	return audit.RecordAll(ctx, tx, pending)
}

// auditEntry prepares an audit entry (reading the actor's name), so that a caller
// can append it later in the transaction.
func (s *Service) auditEntry(ctx context.Context, tx pgx.Tx, a Actor, action string, docID int64, detail map[string]any) (audit.Entry, error) {
	e := audit.Entry{At: s.now(), Actor: "system", Action: "document." + action, ObjectType: "document",
		ObjectID: strconv.FormatInt(docID, 10), ClientIP: a.ClientIP, Detail: detail}
	agencyID := a.AgencyID
	e.AgencyID = &agencyID
	if a.UserID != 0 {
		if err := tx.QueryRow(ctx, `SELECT username FROM users WHERE id = $1`, a.UserID).Scan(&e.Actor); err != nil {
			return e, fmt.Errorf("docs: unable to read the actor: %w", err)
		}
		actorID := a.UserID
		e.ActorID = &actorID
	}
	return e, nil
}

// membershipUnit returns the unit the actor belongs to in their agency (0 when none).
func membershipUnit(ctx context.Context, db store.DB, a Actor) (int64, error) {
	var unit *int64
	err := db.QueryRow(ctx, `SELECT unit_id FROM memberships WHERE user_id = $1 AND agency_id = $2`, a.UserID, a.AgencyID).Scan(&unit)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, forbidden("Bạn không thuộc cơ quan này.", "user %d is not a member of agency %d", a.UserID, a.AgencyID)
	}
	if err != nil {
		return 0, fmt.Errorf("docs: unable to read the membership: %w", err)
	}
	if unit == nil {
		return 0, nil
	}
	return *unit, nil
}
