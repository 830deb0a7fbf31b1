package pki

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// RevocationList is what an authority has revoked, served as OCSP responses and
// as a CRL: the demo stand-in for a national CA's revocation services, and the
// responder of the revocation tests. Certificates point at the services through
// Options.OCSPServer and Options.CRLDistributionPoints.
type RevocationList struct {
	ca      *Authority
	mu      sync.Mutex
	revoked map[string]time.Time // serial (decimal) → revocation time
	number  int64
	// Validity is how long a response stays current (its nextUpdate); zero: one hour.
	Validity time.Duration
	// Clock gives the time responses and CRLs are issued at; nil means time.Now.
	Clock func() time.Time
}

func (rl *RevocationList) now() time.Time {
	if rl.Clock != nil {
		return rl.Clock()
	}
	return time.Now()
}

// NewRevocationList starts the authority's empty revocation list.
func (ca *Authority) NewRevocationList() *RevocationList {
	return &RevocationList{ca: ca, revoked: map[string]time.Time{}}
}

// Revoke marks cert as revoked since at.
func (rl *RevocationList) Revoke(cert *x509.Certificate, at time.Time) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.revoked[cert.SerialNumber.String()] = at
}

func (rl *RevocationList) validity() time.Duration {
	if rl.Validity == 0 {
		return time.Hour
	}
	return rl.Validity
}

// OCSPResponse answers a DER OCSP request, signed by the authority itself.
func (rl *RevocationList) OCSPResponse(request []byte) ([]byte, error) {
	req, err := ocsp.ParseRequest(request)
	if err != nil {
		return nil, fmt.Errorf("pki: bad OCSP request: %w", err)
	}
	now := rl.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(rl.validity())}
	rl.mu.Lock()
	if at, ok := rl.revoked[req.SerialNumber.String()]; ok {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
	}
	rl.mu.Unlock()
	return ocsp.CreateResponse(rl.ca.Cert, rl.ca.Cert, tmpl, rl.ca.Key)
}

// CRL is the current certificate revocation list, signed by the authority.
func (rl *RevocationList) CRL() ([]byte, error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.number++
	now := rl.now()
	tmpl := &x509.RevocationList{Number: big.NewInt(rl.number), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(rl.validity())}
	for serial, at := range rl.revoked {
		n, _ := new(big.Int).SetString(serial, 10)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at})
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, rl.ca.Cert, rl.ca.Key)
}

// OCSPHandler serves OCSP over HTTP POST (RFC 6960 appendix A).
func (rl *RevocationList) OCSPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "POST a DER OCSP request", http.StatusBadRequest)
			return
		}
		resp, err := rl.OCSPResponse(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	})
}

// CRLHandler serves the CRL (DER) on GET.
func (rl *RevocationList) CRLHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crl, err := rl.CRL()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(crl)
	})
}
