package docs

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Personal signatures in two phases (issue 14). The person's key never reaches the
// server: PrepareSignature lays the signature out and stores the prepared PDF and the
// digest to sign in pending_signatures; the person's device (a remote-signing
// provider, or the agent beside their USB token) signs the digest; CompleteSignature,
// on any instance, embeds the value and ends exactly like Sign. As in every PDF step
// (see pdfwork.go) the checks run in a short transaction, the PDF work with none open,
// and the final transaction checks again under the document's lock. A pending
// signature that is abandoned or completed is deleted with its prepared PDF at once;
// one that expires is deleted by the next preparation, on any document.

// Devices: how the key of a signature was held.
const (
	DeviceServer = "server" // the server's keyring (an HSM for the agency's seal; the demo for persons)
	DeviceRemote = "remote" // a remote-signing provider (CSC API)
	DeviceAgent  = "agent"  // the person's USB token through edms agent
)

// PendingSignatureTTL is how long a prepared signature waits for its value.
const PendingSignatureTTL = 10 * time.Minute

// PersonalKey is a person's key the server does not hold, known by its certificate.
type PersonalKey struct {
	Device       string // DeviceRemote or DeviceAgent
	Provider     string // remote: the provider's ID; agent: ""
	CredentialID string // remote only
	Certificate  *x509.Certificate
	Chain        []*x509.Certificate // issuers, leaf excluded
}

// Person is who a personal certificate must belong to.
type Person struct {
	FullName   string
	Identifier string // mã định danh / CCCD; "" when unknown
}

// PreparedLeader is a leader's signature laid out by the signing hook, waiting for
// its value: the PDF with an empty value, the hook's own state (opaque to this
// package) and the digest the device signs.
type PreparedLeader struct {
	PDF    []byte
	State  []byte
	Digest []byte
	Hash   crypto.Hash
}

// PendingSignature is a signature prepared for a person's device.
type PendingSignature struct {
	ID                             string // uuid
	DocumentID                     int64
	UserID                         int64
	Device, Provider, CredentialID string
	Digest                         []byte
	Hash                           crypto.Hash
	Label                          string // what the device shows: "Quyết định 01/QĐ-UBND — V/v ..."
	ExpiresAt                      time.Time
}

// The refusals of personal signatures (the certificate's own are worded by the hook).
var (
	errSignatureExpired = &Error{Kind: ErrInvalid, Message: "Phiên ký đã hết hạn (quá 10 phút); hãy ký lại.",
		Detail: "the pending signature expired"}
	errPendingNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy phiên ký này (đã hoàn tất, đã hủy hoặc không phải của bạn).",
		Detail: "no such pending signature of the actor"}
	errNoDigitalSigning = &Error{Kind: ErrInvalid, Message: "Máy chủ chưa bật ký số; không ký bằng khóa cá nhân được.",
		Detail: "personal signatures need a signing hook"}
)

// PrepareSignature checks that the actor may sign the document now (the rules of
// Sign) with key, whose certificate must be theirs, lays the signature out and keeps
// it for PendingSignatureTTL. Nothing about the document changes.
func (s *Service) PrepareSignature(ctx context.Context, a Actor, docID int64, in SignInput, key PersonalKey) (*PendingSignature, error) {
	in, err := checkSignInput(in)
	if err != nil {
		return nil, err
	}
	if err := checkKeyShape(key); err != nil {
		return nil, err
	}
	if s.Signing == nil {
		return nil, errNoDigitalSigning
	}
	var sig LeaderSignature
	var src File
	var who Person
	var label string
	err = store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, _, err := s.enter(ctx, tx, a, outgoing, docID, "sign")
		if err != nil {
			return err
		}
		if sig, err = s.leaderSignature(ctx, tx, a, d, in); err != nil {
			return err
		}
		if who, err = personOf(ctx, tx, a.UserID); err != nil {
			return err
		}
		label = signatureLabel(d)
		src, err = currentPDF(ctx, tx, docID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.Signing.CheckPersonalKey(ctx, key, who, sig.At); err != nil {
		return nil, err
	}
	var pdf bytes.Buffer
	if _, err := CopyBlob(ctx, s.Pool, src.BlobID, &pdf); err != nil {
		return nil, err
	}
	prepared, err := s.Signing.PrepareLeader(ctx, &pdf, sig, key)
	if err != nil {
		return nil, fmt.Errorf("docs: preparing the signature of document %d failed: %w", docID, err)
	}
	p := &PendingSignature{DocumentID: docID, UserID: a.UserID, Device: key.Device, Provider: key.Provider,
		CredentialID: key.CredentialID, Digest: prepared.Digest, Hash: prepared.Hash, Label: label,
		ExpiresAt: sig.At.Add(PendingSignatureTTL)}
	err = store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := s.lockUnchangedPDF(ctx, tx, a, docID, src); err != nil {
			return err
		}
		if err := s.dropStalePending(ctx, tx, docID, a.UserID); err != nil {
			return err
		}
		blob, err := PutBlob(ctx, tx, bytes.NewReader(prepared.PDF), MediaPDF, s.maxFileSize())
		if err != nil {
			return fmt.Errorf("docs: unable to store the prepared PDF of document %d: %w", docID, err)
		}
		if p.ID, err = insertPending(ctx, tx, a, p, src.ID, blob.ID, key, prepared.State, in); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "signature_prepared", docID, map[string]any{"pending_id": p.ID, "device": key.Device,
			"provider": key.Provider, "certificate": certificateSummary(key.Certificate)})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkKeyShape refuses a personal key the caller described incompletely.
func checkKeyShape(key PersonalKey) error {
	switch {
	case key.Certificate == nil:
		return invalid("Chưa có chứng thư số của người ký.", "personal key without a certificate")
	case key.Device != DeviceRemote && key.Device != DeviceAgent:
		return invalid("Chọn cách ký: ký số từ xa hoặc USB token.", "unknown signing device %q", key.Device)
	case key.Device == DeviceRemote && (key.Provider == "" || key.CredentialID == ""):
		return invalid("Chọn nhà cung cấp và chứng thư ký số từ xa.", "remote key without provider or credential")
	}
	return nil
}

// signatureLabel names the document for the device: type, number if any, subject.
func signatureLabel(d *Record) string {
	label := string(d.Type)
	if t, ok := LookupType(d.Type); ok {
		label = t.Name
	}
	if d.CodeNumber != "" {
		label += " " + d.CodeNumber + "/" + d.CodeNotation
	}
	return label + " — " + d.Subject
}

// lockUnchangedPDF locks the document, when the actor may see it, and refuses when
// its current PDF is no longer src.
func (s *Service) lockUnchangedPDF(ctx context.Context, tx pgx.Tx, a Actor, docID int64, src File) error {
	if _, err := s.lockDocument(ctx, tx, a, docID); err != nil {
		return err
	}
	current, err := currentPDF(ctx, tx, docID)
	if err != nil {
		return err
	}
	if current.ID != src.ID {
		return errPDFChanged(docID, src, current)
	}
	return nil
}

// errPDFChanged refuses a step whose PDF was replaced while it was being worked on.
func errPDFChanged(docID int64, src, current File) error {
	return &Error{Kind: ErrIllegalTransition, Message: "Tệp PDF của văn bản vừa được người khác thay đổi; hãy mở lại văn bản và thực hiện lại.",
		Detail: fmt.Sprintf("the PDF of document %d changed from file %d to %d while it was transformed", docID, src.ID, current.ID)}
}

func insertPending(ctx context.Context, tx pgx.Tx, a Actor, p *PendingSignature, srcID, blobID int64, key PersonalKey, state []byte, in SignInput) (string, error) {
	chain := make([][]byte, len(key.Chain))
	for i, c := range key.Chain {
		chain[i] = c.Raw
	}
	var id string
	err := tx.QueryRow(ctx, `INSERT INTO pending_signatures (document_id, user_id, agency_id, source_file_id, prepared_blob_id,
			device, provider, credential_id, certificate, chain, state, digest, hash, label, competence, position, note, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id::text`,
		p.DocumentID, a.UserID, a.AgencyID, srcID, blobID, key.Device, key.Provider, key.CredentialID, key.Certificate.Raw, chain,
		state, p.Digest, p.Hash.String(), p.Label, in.Competence, in.Position, in.Note, p.ExpiresAt).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("docs: unable to store the pending signature of document %d: %w", p.DocumentID, err)
	}
	return id, nil
}

// dropStalePending deletes the expired pending signatures (of any document) and
// the actor's earlier ones for the document, with their prepared PDFs. Rows another
// transaction holds are left to the next preparation.
func (s *Service) dropStalePending(ctx context.Context, tx pgx.Tx, docID, userID int64) error {
	rows, err := tx.Query(ctx, `DELETE FROM pending_signatures WHERE id IN (
			SELECT id FROM pending_signatures WHERE expires_at <= $1 OR (document_id = $2 AND user_id = $3)
			FOR UPDATE SKIP LOCKED)
		RETURNING prepared_blob_id`, s.now(), docID, userID)
	if err != nil {
		return fmt.Errorf("docs: unable to delete the expired pending signatures: %w", err)
	}
	blobs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("docs: unable to delete the expired pending signatures: %w", err)
	}
	return dropBlobs(ctx, tx, blobs...)
}

// dropBlobs deletes the prepared PDFs no file and no pending signature uses.
func dropBlobs(ctx context.Context, tx pgx.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM blobs b WHERE b.id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM document_files f WHERE f.blob_id = b.id)
		AND NOT EXISTS (SELECT 1 FROM pending_signatures p WHERE p.prepared_blob_id = b.id)`, ids)
	if err != nil {
		return fmt.Errorf("docs: unable to delete prepared PDFs: %w", err)
	}
	return nil
}

// pendingRow is a pending signature with what completing it needs.
type pendingRow struct {
	PendingSignature
	agencyID     int64
	sourceFileID int64
	preparedBlob int64
	key          PersonalKey
	state        []byte
	input        SignInput
}

// loadPending reads the actor's pending signature id in their agency.
func loadPending(ctx context.Context, db store.DB, a Actor, id string) (*pendingRow, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errPendingNotFound
	}
	var p pendingRow
	var hash string
	var cert []byte
	var chain [][]byte
	err := db.QueryRow(ctx, `SELECT id::text, document_id, user_id, agency_id, source_file_id, prepared_blob_id, device, provider,
			credential_id, certificate, chain, state, digest, hash, label, competence, position, note, expires_at
		FROM pending_signatures WHERE id = $1 AND user_id = $2 AND agency_id = $3`, id, a.UserID, a.AgencyID).
		Scan(&p.ID, &p.DocumentID, &p.UserID, &p.agencyID, &p.sourceFileID, &p.preparedBlob, &p.Device, &p.Provider,
			&p.CredentialID, &cert, &chain, &p.state, &p.Digest, &hash, &p.Label, &p.input.Competence, &p.input.Position,
			&p.input.Note, &p.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errPendingNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read pending signature %s: %w", id, err)
	}
	if p.Hash, err = hashNamed(hash); err != nil {
		return nil, err
	}
	p.key = PersonalKey{Device: p.Device, Provider: p.Provider, CredentialID: p.CredentialID}
	if p.key.Certificate, err = x509.ParseCertificate(cert); err != nil {
		return nil, fmt.Errorf("docs: the certificate of pending signature %s: %w", id, err)
	}
	for _, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("docs: the chain of pending signature %s: %w", id, err)
		}
		p.key.Chain = append(p.key.Chain, c)
	}
	return &p, nil
}

// hashNamed is the hash function pending_signatures.hash names.
func hashNamed(name string) (crypto.Hash, error) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		if h.String() == name {
			return h, nil
		}
	}
	return 0, fmt.Errorf("docs: unknown hash %q", name)
}

// PendingSignatureByID returns the actor's own pending signature on a document they
// may see; anyone else's is not found.
func (s *Service) PendingSignatureByID(ctx context.Context, a Actor, id string) (*PendingSignature, error) {
	p, err := loadPending(ctx, s.Pool, a, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.get(ctx, s.Pool, a, p.DocumentID, ""); err != nil {
		return nil, err
	}
	return &p.PendingSignature, nil
}

// CompleteSignature embeds value, the signature of the pending signature's digest by
// the person's device, and saves the signed version as Sign does, on any instance.
// It refuses when the attempt expired or is not the actor's, when the certificate
// no longer passes its checks (it may have been revoked since), when the value does
// not match, and when the document's PDF is no longer the one prepared from; the
// document is then unchanged.
func (s *Service) CompleteSignature(ctx context.Context, a Actor, id string, value []byte) error {
	if s.Signing == nil {
		return errNoDigitalSigning
	}
	p, err := loadPending(ctx, s.Pool, a, id)
	if err != nil {
		return err
	}
	now := s.now()
	if !now.Before(p.ExpiresAt) {
		return errSignatureExpired
	}
	who, err := personOf(ctx, s.Pool, a.UserID)
	if err != nil {
		return err
	}
	if err := s.Signing.CheckPersonalKey(ctx, p.key, who, now); err != nil {
		return err
	}
	var prepared, signed bytes.Buffer
	if _, err := CopyBlob(ctx, s.Pool, p.preparedBlob, &prepared); err != nil {
		return err
	}
	leader := &PreparedLeader{PDF: prepared.Bytes(), State: p.state, Digest: p.Digest, Hash: p.Hash}
	if err := s.Signing.CompleteLeader(ctx, leader, value, &signed); err != nil {
		return err
	}
	step := signStep(p.input, p.Device)
	step.record = func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if err := s.claimPending(ctx, tx, p); err != nil {
			return err
		}
		if err := s.recordSigner(ctx, tx, a, d, p.input); err != nil {
			return err
		}
		firstUse, err := recordFirstUse(ctx, tx, a.UserID, p.key.Certificate)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "signature_completed", d.ID, map[string]any{"pending_id": p.ID, "device": p.Device,
			"provider": p.Provider, "certificate": certificateSummary(p.key.Certificate), "first_use": firstUse})
	}
	return s.finishPDFStep(ctx, a, p.DocumentID, step, File{ID: p.sourceFileID}, signed.Bytes())
}

// claimPending deletes the pending signature being completed, with its prepared PDF,
// under the document's lock: it must still be there (not completed by another
// instance, not abandoned) and not expired.
func (s *Service) claimPending(ctx context.Context, tx pgx.Tx, p *pendingRow) error {
	var expires time.Time
	err := tx.QueryRow(ctx, `DELETE FROM pending_signatures WHERE id = $1 AND user_id = $2 RETURNING expires_at`,
		p.ID, p.UserID).Scan(&expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return errPendingNotFound
	}
	if err != nil {
		return fmt.Errorf("docs: unable to take pending signature %s: %w", p.ID, err)
	}
	if !s.now().Before(expires) {
		return errSignatureExpired
	}
	return dropBlobs(ctx, tx, p.preparedBlob)
}

// AbandonSignature deletes the actor's pending signature and its prepared PDF; the
// document was never changed by it.
func (s *Service) AbandonSignature(ctx context.Context, a Actor, id string) error {
	p, err := loadPending(ctx, s.Pool, a, id)
	if err != nil {
		return err
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := s.lockDocument(ctx, tx, a, p.DocumentID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM pending_signatures WHERE id = $1 AND user_id = $2`, p.ID, a.UserID)
		if err != nil {
			return fmt.Errorf("docs: unable to abandon pending signature %s: %w", p.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return errPendingNotFound
		}
		if err := dropBlobs(ctx, tx, p.preparedBlob); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "signature_abandoned", p.DocumentID, map[string]any{"pending_id": p.ID, "device": p.Device})
	})
}

// personOf reads who a user's certificates must name.
func personOf(ctx context.Context, db store.DB, userID int64) (Person, error) {
	var p Person
	err := db.QueryRow(ctx, `SELECT full_name, identifier FROM users WHERE id = $1`, userID).Scan(&p.FullName, &p.Identifier)
	if err != nil {
		return p, fmt.Errorf("docs: unable to read user %d: %w", userID, err)
	}
	return p, nil
}

// certificateSummary names a certificate in the audit trail.
func certificateSummary(c *x509.Certificate) map[string]any {
	sum := sha256.Sum256(c.Raw)
	return map[string]any{"subject": c.Subject.String(), "serial": serialOf(c), "sha256": fmt.Sprintf("%x", sum)}
}

// serialOf is a certificate's serial number in upper-case hex.
func serialOf(c *x509.Certificate) string {
	return strings.ToUpper(c.SerialNumber.Text(16))
}
