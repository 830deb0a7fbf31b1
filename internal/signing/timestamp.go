package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/digitorus/timestamp"
)

// checkedToken is an RFC 3161 timestamp token whose signature, imprint and
// authority chain were verified.
type checkedToken struct {
	ts    *timestamp.Timestamp
	tsa   *x509.Certificate
	chain []*x509.Certificate
}

// checkToken verifies a timestamp token: its CMS signature, that its signer (the
// certificate its SignerInfo names, not merely one it carries) is a timestamping
// authority chaining to the trust anchors at the token's time, and that its
// message imprint is imprint(hash algorithm).
func (v *verification) checkToken(token []byte, imprint func(crypto.Hash) ([]byte, error)) (*checkedToken, error) {
	n, err := berLength(token, 0)
	if err != nil {
		return nil, fmt.Errorf("the timestamp token is invalid: %w", err)
	}
	token = token[:n]
	ts, err := timestamp.Parse(token) // verifies the CMS signature when it carries certificates
	if err != nil {
		return nil, fmt.Errorf("the timestamp token is invalid: %w", err)
	}
	cms, err := parseCMS(token)
	if err != nil || len(ts.Certificates) == 0 {
		return nil, errors.New("the timestamp token does not carry its authority's certificate")
	}
	tsa := cms.signer
	if !hasExtKeyUsage(tsa, x509.ExtKeyUsageTimeStamping) {
		return nil, fmt.Errorf("the timestamp token is signed by %q, which is not a timestamping authority", tsa.Subject.CommonName)
	}
	want, err := imprint(ts.HashAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("cannot compute the timestamped digest: %w", err)
	}
	if !bytes.Equal(want, ts.HashedMessage) {
		return nil, errors.New("the timestamp token is not about these bytes: they were changed or it belongs elsewhere")
	}
	chain, err := v.trustTSA(tsa, ts)
	if err != nil {
		return nil, fmt.Errorf("timestamp authority %q not trusted: %v", tsa.Subject.CommonName, err)
	}
	return &checkedToken{ts: ts, tsa: tsa, chain: chain}, nil
}

// useTimestamp evaluates the RFC 3161 token attached to a signature: its imprint
// must be the hash of this signature's value and the authority's chain must not
// be revoked. A good token replaces the signer's claimed time, so "valid at
// signing time" rests on a trusted time.
func (v *verification) useTimestamp(sig *cmsSignature) {
	tok, err := v.checkToken(sig.timestamp, func(h crypto.Hash) ([]byte, error) { return digestOf(h, sig.signature), nil })
	if err != nil {
		v.problem("%v", err)
		return
	}
	v.report.SigningTime, v.report.TimeSource = tok.ts.Time, fmt.Sprintf("RFC 3161 timestamp by %s", tok.tsa.Subject.CommonName)
	v.timeTrusted = true
	v.checkRevocation(tok.chain, v.embeddedRevocation(sig))
}

// runDocumentTimestamp verifies an ETSI.RFC3161 document timestamp: a token
// whose imprint is the digest of the byte range, by a trusted authority whose
// chain is not revoked, followed only by permitted changes.
func (v *verification) runDocumentTimestamp(contents []byte, br [4]int64, signed view) {
	r := &v.report
	tok, err := v.checkToken(contents, func(h crypto.Hash) ([]byte, error) { return v.prefixes.sum(h, br) })
	if err != nil {
		v.problem("%v", err)
		return
	}
	r.Signer, r.SignerDN, r.Issuer = tok.tsa.Subject.CommonName, tok.tsa.Subject.String(), tok.tsa.Issuer.CommonName
	r.SigningTime, r.TimeSource = tok.ts.Time, "document timestamp (RFC 3161)"
	r.DigestOK, r.SignatureOK, r.Trusted, r.KeyUsageOK, r.ValidAtSignTime = true, true, true, true, true
	v.timeTrusted = true
	v.checkRevocation(tok.chain, v.dss)
	v.checkLaterChanges(signed, br[2]+br[3], 0)
}

func (v *verification) trustTSA(tsa *x509.Certificate, ts *timestamp.Timestamp) ([]*x509.Certificate, error) {
	if v.trust == nil {
		return nil, errors.New("no trust store configured")
	}
	inter := x509.NewCertPool()
	for _, c := range ts.Certificates {
		inter.AddCert(c)
	}
	chains, err := tsa.Verify(x509.VerifyOptions{Roots: v.trust.rootPool(), Intermediates: inter, CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}
