package signing

import (
	"bytes"
	"crypto/x509"
	"fmt"

	"github.com/digitorus/timestamp"
)

// useTimestamp evaluates the RFC 3161 token attached to a signature: the token's
// own signature, its message imprint (the hash of this signature's value) and the
// timestamp authority's chain to the trust anchors. A good token replaces the
// signer's claimed time, so "valid at signing time" rests on a trusted time.
func (v *verification) useTimestamp(sig *cmsSignature) {
	r := &v.report
	ts, err := timestamp.Parse(sig.timestamp)
	if err != nil {
		v.problem("the timestamp token is invalid: %v", err)
		return
	}
	h := ts.HashAlgorithm.New()
	h.Write(sig.signature)
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		v.problem("the timestamp token is not about this signature")
		return
	}
	tsa := timestampSigner(ts.Certificates)
	if tsa == nil {
		v.problem("the timestamp token has no timestamping certificate")
		return
	}
	if err := v.trustTSA(tsa, ts); err != nil {
		v.problem("timestamp authority %q not trusted: %v", tsa.Subject.CommonName, err)
		return
	}
	r.SigningTime, r.TimeSource = ts.Time, fmt.Sprintf("RFC 3161 timestamp by %s", tsa.Subject.CommonName)
	v.timeTrusted = true
}

func timestampSigner(certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageTimeStamping {
				return c
			}
		}
	}
	return nil
}

func (v *verification) trustTSA(tsa *x509.Certificate, ts *timestamp.Timestamp) error {
	if v.trust == nil {
		return fmt.Errorf("no trust store configured")
	}
	inter := x509.NewCertPool()
	for _, c := range ts.Certificates {
		inter.AddCert(c)
	}
	_, err := tsa.Verify(x509.VerifyOptions{Roots: v.trust.roots, Intermediates: inter, CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	return err
}
