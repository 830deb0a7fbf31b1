package docs

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/audit"
	"edms/internal/store"
)

// The people's signing settings: the certificates they sign with, their account at a
// remote-signing provider, and the agency's rule that everyone signs with their own
// key.

// Sources of a person's certificate.
const (
	CertificateFirstUse = "first_use" // recorded when the person first signed with it
	CertificateAdmin    = "admin"     // imported by an administrator
)

// PersonCertificate is a certificate recorded for a person.
type PersonCertificate struct {
	ID                  int64
	UserID              int64
	SHA256              string // of the DER, lower-case hex
	Subject             string
	Serial              string // upper-case hex
	NotBefore, NotAfter time.Time
	Source              string // CertificateFirstUse or CertificateAdmin
	AddedAt             time.Time
	AddedBy             int64 // 0: none recorded
}

// errServerKeyRefused refuses a signature with a server-held personal key where the
// agency requires personal keys.
var errServerKeyRefused = &Error{Kind: ErrInvalid,
	Message: "Cơ quan yêu cầu mỗi người ký bằng khóa của chính mình (USB token hoặc ký số từ xa).",
	Detail:  "the agency requires personal keys; the server's keyring may not sign for a person"}

// refuseServerKey refuses a server-held personal key where the agency requires
// personal keys.
func refuseServerKey(ctx context.Context, tx pgx.Tx, agencyID int64) error {
	var required bool
	if err := tx.QueryRow(ctx, `SELECT require_personal_keys FROM agencies WHERE id = $1`, agencyID).Scan(&required); err != nil {
		return fmt.Errorf("docs: unable to read the signing policy of agency %d: %w", agencyID, err)
	}
	if required {
		return errServerKeyRefused
	}
	return nil
}

// PersonalKeysRequired reports whether the agency requires every person to sign with
// their own key.
func (s *Service) PersonalKeysRequired(ctx context.Context, agencyID int64) (bool, error) {
	var required bool
	if err := s.Pool.QueryRow(ctx, `SELECT require_personal_keys FROM agencies WHERE id = $1`, agencyID).Scan(&required); err != nil {
		return false, fmt.Errorf("docs: unable to read the signing policy of agency %d: %w", agencyID, err)
	}
	return required, nil
}

// SetPersonalKeysRequired sets the agency's rule; only its administrator may.
func (s *Service) SetPersonalKeysRequired(ctx context.Context, a Actor, agencyID int64, required bool) error {
	if agencyID != a.AgencyID {
		return forbidden("Bạn chỉ thay đổi được thiết lập của cơ quan mình.", "user %d acts in agency %d, not %d", a.UserID, a.AgencyID, agencyID)
	}
	if err := s.require(a, access.OrgManage, "quản trị cơ quan"); err != nil {
		return err
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agencies SET require_personal_keys = $2 WHERE id = $1`, agencyID, required); err != nil {
			return fmt.Errorf("docs: unable to set the signing policy of agency %d: %w", agencyID, err)
		}
		return s.auditObject(ctx, tx, a, "agency", agencyID, "personal_keys_required", map[string]any{"required": required})
	})
}

// ImportPersonCertificate records a certificate for a member of the administrator's
// agency, once it passes the checks of a signature (it names the person, is valid,
// allows signing, is trusted and not revoked). der is one certificate, DER or PEM,
// or a PEM bundle: the person's certificate first, then the intermediate
// certificates it is checked with (only the first is recorded).
func (s *Service) ImportPersonCertificate(ctx context.Context, a Actor, userID int64, der []byte) error {
	if err := s.require(a, access.UserAdmin, "quản trị người dùng"); err != nil {
		return err
	}
	cert, chain, err := parseCertificates(der)
	if err != nil {
		return err
	}
	if err := memberOf(ctx, s.Pool, userID, a.AgencyID); err != nil {
		return err
	}
	if s.Signing != nil {
		who, err := personOf(ctx, s.Pool, userID)
		if err != nil {
			return err
		}
		if err := s.Signing.CheckPersonalKey(ctx, PersonalKey{Certificate: cert, Chain: chain}, who, s.now()); err != nil {
			return err
		}
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := memberOf(ctx, tx, userID, a.AgencyID); err != nil {
			return err
		}
		if _, err := recordCertificate(ctx, tx, userID, cert, CertificateAdmin, a.UserID); err != nil {
			return err
		}
		return s.auditObject(ctx, tx, a, "user", userID, "person_certificate_imported", certificateSummary(cert))
	})
}

const notCertificateMessage = "Tệp không phải chứng thư số (X.509, DER hoặc PEM; với chuỗi chứng thư, chứng thư của người ký đứng đầu)."

// parseCertificates reads one certificate in DER, or PEM certificates: the leaf,
// then its issuers.
func parseCertificates(data []byte) (*x509.Certificate, []*x509.Certificate, error) {
	ders := pemCertificates(data)
	if ders == nil {
		ders = [][]byte{data}
	}
	var certs []*x509.Certificate
	for _, der := range ders {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, invalid(notCertificateMessage, "not a certificate: %v", err)
		}
		certs = append(certs, cert)
	}
	return certs[0], certs[1:], nil
}

// pemCertificates are the contents of data's PEM CERTIFICATE blocks, in order
// (nil when there is none: data is DER).
func pemCertificates(data []byte) [][]byte {
	var ders [][]byte
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			return ders
		}
		if block.Type == "CERTIFICATE" {
			ders = append(ders, block.Bytes)
		}
	}
}

// recordFirstUse records the certificate a person signed with, unless already
// recorded; it reports whether this was its first use.
func recordFirstUse(ctx context.Context, tx pgx.Tx, userID int64, cert *x509.Certificate) (bool, error) {
	return recordCertificate(ctx, tx, userID, cert, CertificateFirstUse, userID)
}

// recordCertificate records cert for the user, unless already recorded (it then
// reports false).
func recordCertificate(ctx context.Context, tx pgx.Tx, userID int64, cert *x509.Certificate, source string, by int64) (bool, error) {
	sum := sha256.Sum256(cert.Raw)
	tag, err := tx.Exec(ctx, `INSERT INTO person_certificates (user_id, sha256, der, subject, serial, not_before, not_after, source, added_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id, sha256) DO NOTHING`,
		userID, sum[:], cert.Raw, cert.Subject.String(), serialOf(cert), cert.NotBefore, cert.NotAfter, source, by)
	if err != nil {
		return false, fmt.Errorf("docs: unable to record the certificate of user %d: %w", userID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PersonCertificates lists a person's certificates, newest first: the person's own,
// or any member's for the agency's administrator.
func (s *Service) PersonCertificates(ctx context.Context, a Actor, userID int64) ([]PersonCertificate, error) {
	if err := s.mayManagePerson(ctx, a, userID); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, user_id, encode(sha256, 'hex'), subject, serial, not_before, not_after, source,
			added_at, coalesce(added_by, 0)
		FROM person_certificates WHERE user_id = $1 ORDER BY added_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the certificates of user %d: %w", userID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PersonCertificate, error) {
		var c PersonCertificate
		err := row.Scan(&c.ID, &c.UserID, &c.SHA256, &c.Subject, &c.Serial, &c.NotBefore, &c.NotAfter, &c.Source, &c.AddedAt, &c.AddedBy)
		return c, err
	})
}

// SetSigningAccount sets a person's remote-signing provider and their account there
// ("" for their username): the person themselves, or their agency's administrator.
func (s *Service) SetSigningAccount(ctx context.Context, a Actor, userID int64, provider, account string) error {
	if err := s.mayManagePerson(ctx, a, userID); err != nil {
		return err
	}
	provider, account = strings.TrimSpace(provider), strings.TrimSpace(account)
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET signing_provider = $2, signing_account = $3, updated_at = now() WHERE id = $1`,
			userID, provider, account); err != nil {
			return fmt.Errorf("docs: unable to set the signing account of user %d: %w", userID, err)
		}
		return s.auditObject(ctx, tx, a, "user", userID, "signing_account_changed", map[string]any{"provider": provider, "account": account})
	})
}

// SigningAccount returns a person's remote-signing provider ("" when none is set)
// and their account there: the one set, or else their username.
func (s *Service) SigningAccount(ctx context.Context, userID int64) (provider, account string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT signing_provider, CASE WHEN signing_account = '' THEN username ELSE signing_account END
		FROM users WHERE id = $1`, userID).Scan(&provider, &account)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", &Error{Kind: ErrNotFound, Message: "Không tìm thấy người dùng.", Detail: fmt.Sprintf("no user %d", userID)}
	}
	if err != nil {
		return "", "", fmt.Errorf("docs: unable to read the signing account of user %d: %w", userID, err)
	}
	return provider, account, nil
}

// identifierPattern is a personal identifier: the 12 digits of a citizen identity
// card (CCCD) or the 9 of an older identity card (CMND).
var identifierPattern = regexp.MustCompile(`^[0-9]{9,12}$`)

var errIdentifierInvalid = invalid("Mã định danh cá nhân (số CCCD/CMND) phải gồm từ 9 đến 12 chữ số, hoặc để trống.",
	"a personal identifier has 9 to 12 digits")

// SetIdentifier sets a member's personal identifier (mã định danh / CCCD; "" for
// none), which their certificates must carry when they carry one; only the agency's
// administrator may.
func (s *Service) SetIdentifier(ctx context.Context, a Actor, userID int64, identifier string) error {
	if err := s.require(a, access.UserAdmin, "quản trị người dùng"); err != nil {
		return err
	}
	identifier = strings.TrimSpace(identifier)
	if identifier != "" && !identifierPattern.MatchString(identifier) {
		return errIdentifierInvalid
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := memberOf(ctx, tx, userID, a.AgencyID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET identifier = $2, updated_at = now() WHERE id = $1`, userID, identifier); err != nil {
			return fmt.Errorf("docs: unable to set the identifier of user %d: %w", userID, err)
		}
		return s.auditObject(ctx, tx, a, "user", userID, "identifier_changed", map[string]any{"identifier": identifier})
	})
}

// Identifier is a person's identifier ("" when none is recorded): their own, or a
// member's for the agency's administrator.
func (s *Service) Identifier(ctx context.Context, a Actor, userID int64) (string, error) {
	if err := s.mayManagePerson(ctx, a, userID); err != nil {
		return "", err
	}
	who, err := personOf(ctx, s.Pool, userID)
	return who.Identifier, err
}

// mayManagePerson lets a person manage their own signing settings, and the agency's
// administrator those of its members.
func (s *Service) mayManagePerson(ctx context.Context, a Actor, userID int64) error {
	if userID == a.UserID {
		return nil
	}
	if err := s.require(a, access.UserAdmin, "chính người đó hoặc quản trị người dùng"); err != nil {
		return err
	}
	return memberOf(ctx, s.Pool, userID, a.AgencyID)
}

// memberOf refuses a user who is not a member of the agency.
func memberOf(ctx context.Context, db store.DB, userID, agencyID int64) error {
	var member bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND agency_id = $2)`, userID, agencyID).Scan(&member)
	if err != nil {
		return fmt.Errorf("docs: unable to read the membership of user %d: %w", userID, err)
	}
	if !member {
		return &Error{Kind: ErrNotFound, Message: "Không tìm thấy người dùng trong cơ quan.",
			Detail: fmt.Sprintf("user %d is not a member of agency %d", userID, agencyID)}
	}
	return nil
}

// auditObject appends an entry about an object other than a document (a user, an
// agency).
func (s *Service) auditObject(ctx context.Context, tx pgx.Tx, a Actor, objectType string, id int64, action string, detail map[string]any) error {
	e, err := s.auditEntry(ctx, tx, a, action, 0, detail)
	if err != nil {
		return err
	}
	e.Action, e.ObjectType, e.ObjectID = objectType+"."+action, objectType, fmt.Sprint(id)
	return audit.Record(ctx, tx, e)
}
