package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/digitorus/pdf"
)

// addLTV writes signed followed by the /DSS update of PAdES B-LT for its last
// signature: the signer's chain (signer first) and the revocation data of each
// certificate below the root. A signer certificate found revoked, or revocation
// data that cannot be had, fails the signing.
func (s *Signer) addLTV(signed []byte, chain []*x509.Certificate, w io.Writer) error {
	doc := NewDocument(bytes.NewReader(signed), int64(len(signed)))
	rdr, err := doc.open()
	if err != nil {
		return err
	}
	contents, err := lastSignatureContents(rdr.Trailer().Key("Root"), doc.size)
	if err != nil {
		return err
	}
	tsaChain, err := timestampChain(contents, chain)
	if err != nil {
		return err
	}
	data := ltvData{vriKey: vriKey(contents)}
	for _, c := range [][]*x509.Certificate{chain, tsaChain} {
		data.certs = append(data.certs, c...)
		for i := 0; i+1 < len(c); i++ {
			if err := s.Revocation.collect(c[i], c[i+1], &data.embeddedRevocation); err != nil {
				return err
			}
		}
	}
	return addDSS(doc, w, data)
}

// collect adds the OCSP response (or else the CRL) that says cert is good.
func (rc *RevocationChecker) collect(cert, issuer *x509.Certificate, into *embeddedRevocation) error {
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 || rc.Mode != RevocationAuto {
		return nil
	}
	found, err := rc.fetch(cert, issuer)
	if err == nil {
		err = requireGood(found.status)
	}
	if err != nil {
		return fmt.Errorf("signing: no revocation data for the certificate of %q to embed (PAdES B-LT): %w", cert.Subject.CommonName, err)
	}
	if found.crl {
		into.crls = append(into.crls, found.der)
	} else {
		into.ocsps = append(into.ocsps, found.der)
	}
	return nil
}

func requireGood(st CertificateStatus) error {
	switch {
	case st.Status == StatusRevoked:
		return fmt.Errorf("%w: the certificate of %q was revoked on %s", ErrCertificateNotUsable, st.Subject, st.RevokedAt.Format(time.RFC3339))
	case st.Status != StatusGood:
		return fmt.Errorf("status %s from %s", st.Status, st.Source)
	}
	return nil
}

// lastSignatureContents is the /Contents of the signature whose byte range ends
// at the end of the file.
func lastSignatureContents(root pdf.Value, size int64) ([]byte, error) {
	for _, f := range signatureFields(root) {
		br := f.value.Key("ByteRange")
		if br.Len() == 4 && br.Index(2).Int64()+br.Index(3).Int64() == size {
			return []byte(f.value.Key("Contents").RawString()), nil
		}
	}
	return nil, errors.New("signing: the new signature was not found in pdfsign's output")
}

// timestampChain is the chain of the authority that timestamped the signature
// (none without a timestamp): the token's signer followed by its issuers, found
// among the token's certificates and known.
func timestampChain(contents []byte, known []*x509.Certificate) ([]*x509.Certificate, error) {
	sig, err := parseCMS(contents)
	if err != nil || sig.timestamp == nil {
		return nil, err
	}
	token, err := parseCMS(sig.timestamp)
	if err != nil {
		return nil, fmt.Errorf("signing: the signature's timestamp token: %w", err)
	}
	pool := append(token.certs, known...)
	chain := []*x509.Certificate{token.signer}
	for last := token.signer; !bytes.Equal(last.RawIssuer, last.RawSubject) && len(chain) < 8; {
		issuer := issuerIn(last, pool)
		if issuer == nil {
			break
		}
		chain = append(chain, issuer)
		last = issuer
	}
	return chain, nil
}

func issuerIn(cert *x509.Certificate, pool []*x509.Certificate) *x509.Certificate {
	for _, c := range pool {
		if bytes.Equal(c.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	return nil
}
