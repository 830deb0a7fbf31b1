package signing

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Errors of CheckPersonCertificate, besides ErrCertificateNotUsable (expired, not
// yet valid, no signing key usage).
var (
	ErrCertificateOtherPerson = errors.New("signing: the certificate belongs to another person")
	ErrCertificateRevoked     = errors.New("signing: the certificate is revoked")
	ErrCertificateUntrusted   = errors.New("signing: the certificate does not chain to a trust anchor")
)

// PersonClaim is who a personal certificate must belong to.
type PersonClaim struct {
	FullName   string
	Identifier string // mã định danh / CCCD, "" when unknown
}

// oidUID is the userID attribute (RFC 4519) in which Vietnamese CAs, and pki,
// write the holder's identifier.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// CheckPersonCertificate checks a person's certificate at `at`: it names the
// person (CommonName equal to FullName, compared NFC and case-insensitively; when
// both the claim and the certificate carry an identifier — subject UID or
// serialNumber, with or without a "CCCD:"/"CMND:" prefix — they must be equal), is
// valid at `at`, allows signing (digitalSignature or contentCommitment), chains to
// trust's anchors, and is not revoked (trust's revocation checker, when set).
func CheckPersonCertificate(cert *x509.Certificate, chain []*x509.Certificate, who PersonClaim, trust *TrustStore, at time.Time) error {
	if cert == nil {
		return errors.New("signing: no certificate to check")
	}
	if err := namesPerson(cert, who); err != nil {
		return err
	}
	if err := checkSigningCertificate(cert, at); err != nil {
		return err
	}
	verified, err := chainToAnchors(cert, chain, trust, at)
	if err != nil {
		return err
	}
	if st, revoked := trust.Revocation.RevokedInChain(verified); revoked {
		return fmt.Errorf("%w: %q was revoked on %s (%s)", ErrCertificateRevoked, st.Subject, st.RevokedAt.Format(time.RFC3339), st.Source)
	}
	return nil
}

func namesPerson(cert *x509.Certificate, who PersonClaim) error {
	if !sameName(cert.Subject.CommonName, who.FullName) {
		return fmt.Errorf("%w: it names %q, not %q", ErrCertificateOtherPerson, cert.Subject.CommonName, who.FullName)
	}
	want := personalIdentifier(who.Identifier)
	if want == "" {
		return nil
	}
	ids := certificateIdentifiers(cert)
	for _, id := range ids {
		if id == want {
			return nil
		}
	}
	if len(ids) > 0 {
		return fmt.Errorf("%w: its identifier %s is not the person's", ErrCertificateOtherPerson, strings.Join(ids, ", "))
	}
	return nil
}

// sameName compares full names as people write them: NFC, case and runs of
// spaces ignored.
func sameName(a, b string) bool {
	clean := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return clean(a) != "" && strings.EqualFold(clean(a), clean(b))
}

// certificateIdentifiers are the personal identifiers in the subject: UID and
// serialNumber values, bare or after "CCCD:"/"CMND:"; values with another prefix
// (e.g. "MST:", a tax code) are not a person's identifier.
func certificateIdentifiers(cert *x509.Certificate) []string {
	var ids []string
	for _, n := range cert.Subject.Names {
		v, ok := n.Value.(string)
		if !ok || !(n.Type.Equal(oidUID) || n.Type.Equal(oidSerialNumber)) {
			continue
		}
		if id := personalIdentifier(v); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

// personalIdentifier is the identifier of v without its "CCCD:"/"CMND:" prefix;
// "" for a value with another prefix.
func personalIdentifier(v string) string {
	v = strings.TrimSpace(v)
	prefix, rest, found := strings.Cut(v, ":")
	if !found {
		return v
	}
	switch strings.ToUpper(strings.TrimSpace(prefix)) {
	case "CCCD", "CMND":
		return strings.TrimSpace(rest)
	}
	return ""
}

// chainToAnchors verifies cert, with chain as intermediates, against trust's
// anchors at `at` and returns the chain found (signer first).
func chainToAnchors(cert *x509.Certificate, chain []*x509.Certificate, trust *TrustStore, at time.Time) ([]*x509.Certificate, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: no trust store configured", ErrCertificateUntrusted)
	}
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: trust.rootPool(), Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificateUntrusted, err)
	}
	return chains[0], nil
}
