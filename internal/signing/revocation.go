package signing

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// RevocationMode says where the revocation status of a signer's chain comes from.
type RevocationMode int

const (
	// RevocationOff checks nothing; reports say "not checked".
	RevocationOff RevocationMode = iota
	// RevocationEmbedded uses only the data in the file (the /DSS and the CMS's
	// adbe-revocationInfoArchival attribute): offline verification.
	RevocationEmbedded
	// RevocationAuto uses the embedded data and otherwise asks the certificate's
	// OCSP responder, then its CRL distribution points.
	RevocationAuto
)

// ParseRevocationMode reads "auto", "embedded" or "off".
func ParseRevocationMode(s string) (RevocationMode, error) {
	switch s {
	case "auto":
		return RevocationAuto, nil
	case "embedded":
		return RevocationEmbedded, nil
	case "off":
		return RevocationOff, nil
	}
	return 0, fmt.Errorf("signing: revocation mode %q is not one of auto, embedded, off", s)
}

func (m RevocationMode) String() string {
	return [...]string{"off", "embedded", "auto"}[m]
}

// Limits of fetching revocation data.
const (
	revocationTimeout = 10 * time.Second
	maxOCSPResponse   = 1 << 20
	maxCRL            = 16 << 20
	// unknownCacheTime is how long a response without nextUpdate is reused.
	unknownCacheTime = time.Minute
	// maxCached bounds the cache; when full it starts again empty.
	maxCached = 10000
)

// RevocationChecker finds the revocation status of certificates. Fetched OCSP
// responses and CRLs are kept in memory until their nextUpdate: an optimisation
// only, each use checks them again. It is safe for concurrent use.
type RevocationChecker struct {
	Mode RevocationMode
	// Client fetches OCSP responses and CRLs; nil uses one with a 10 s timeout.
	Client *http.Client

	mu    sync.Mutex
	cache map[string]cachedResponse
}

type cachedResponse struct {
	der   []byte
	until time.Time
}

// NewRevocationChecker checks revocation in the given mode.
func NewRevocationChecker(mode RevocationMode) *RevocationChecker {
	return &RevocationChecker{Mode: mode}
}

// embeddedRevocation is revocation data carried by the file.
type embeddedRevocation struct {
	ocsps [][]byte
	crls  [][]byte
	certs []*x509.Certificate
}

func (e *embeddedRevocation) add(o embeddedRevocation) {
	e.ocsps = append(e.ocsps, o.ocsps...)
	e.crls = append(e.crls, o.crls...)
	e.certs = append(e.certs, o.certs...)
}

// revocationArchival is Adobe's RevocationInfoArchival signed attribute.
type revocationArchival struct {
	CRLs  []asn1.RawValue `asn1:"tag:0,optional,explicit"`
	OCSPs []asn1.RawValue `asn1:"tag:1,optional,explicit"`
	Other asn1.RawValue   `asn1:"tag:2,optional,explicit"`
}

func (e *embeddedRevocation) readArchival(der []byte) error {
	var ra revocationArchival
	if _, err := asn1.Unmarshal(der, &ra); err != nil {
		return fmt.Errorf("bad adbe-revocationInfoArchival attribute: %w", err)
	}
	for _, c := range ra.CRLs {
		e.crls = append(e.crls, c.FullBytes)
	}
	for _, o := range ra.OCSPs {
		e.ocsps = append(e.ocsps, o.FullBytes)
	}
	return nil
}

// CertificateStatus is the revocation status of one certificate of a chain.
type CertificateStatus struct {
	Subject   string    `json:"subject"`
	Status    string    `json:"status"` // good, revoked, unknown, not checked, no service
	Source    string    `json:"source,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// ThisUpdate is when the OCSP response or CRL was issued, NextUpdate when
	// its issuer promised the next one.
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	Detail     string    `json:"detail,omitempty"`
}

// Revocation statuses.
const (
	StatusGood       = "good"
	StatusRevoked    = "revoked"
	StatusUnknown    = "unknown"
	StatusNotChecked = "not checked"
	// StatusNoService: the CA declared neither OCSP responder nor CRL
	// distribution point, so the certificate cannot be revoked by any means a
	// verifier can see.
	StatusNoService = "no revocation service"
)

// revocationGrace is how long before the signing time a "good" status may have
// been issued and still count as evidence (clock skew, responders that backdate
// thisUpdate a little).
const revocationGrace = 5 * time.Minute

// status finds the revocation status of cert, issued by issuer, at time at.
// Embedded data says "good" only when issued after the signing time; when that
// time is only the signer's claim, auto mode asks the services for the current
// status instead, since whoever claims the time also chose the embedded data.
func (rc *RevocationChecker) status(cert, issuer *x509.Certificate, data embeddedRevocation, at time.Time, timeTrusted bool) CertificateStatus {
	st := CertificateStatus{Subject: cert.Subject.CommonName}
	if rc == nil || rc.Mode == RevocationOff {
		st.Status = StatusNotChecked
		return st
	}
	embedded, found := embeddedStatus(cert, issuer, data, at)
	if found && (embedded.Status == StatusRevoked || rc.Mode == RevocationEmbedded || timeTrusted) {
		return embedded
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		if found {
			return embedded
		}
		st.Status = StatusNoService
		return st
	}
	if rc.Mode == RevocationEmbedded {
		st.Status, st.Detail = StatusUnknown, "the file holds no revocation data issued after the signing time, and fetching is off"
		return st
	}
	return rc.fetchStatus(cert, issuer)
}

// embeddedStatus evaluates the embedded OCSP responses, then CRLs, about cert:
// a revocation whenever issued, a good status only when issued after at.
func embeddedStatus(cert, issuer *x509.Certificate, data embeddedRevocation, at time.Time) (CertificateStatus, bool) {
	usable := func(st CertificateStatus, err error) bool {
		return err == nil && (st.Status == StatusRevoked || !st.ThisUpdate.Before(at.Add(-revocationGrace)))
	}
	for _, der := range data.ocsps {
		if st, err := ocspStatus(der, cert, issuer); usable(st, err) {
			st.Source = "OCSP, embedded"
			return st, true
		}
	}
	for _, der := range data.crls {
		if st, err := crlStatus(der, cert, issuer); usable(st, err) {
			st.Source = "CRL, embedded"
			return st, true
		}
	}
	return CertificateStatus{}, false
}

func (rc *RevocationChecker) fetchStatus(cert, issuer *x509.Certificate) CertificateStatus {
	found, err := rc.fetch(cert, issuer)
	if err != nil {
		return CertificateStatus{Subject: cert.Subject.CommonName, Status: StatusUnknown, Detail: err.Error()}
	}
	return found.status
}

// fetched is a status found online with the OCSP response or CRL proving it.
type fetched struct {
	status CertificateStatus
	der    []byte
	crl    bool
}

// fetch asks the certificate's OCSP responders, then its CRL distribution
// points, and returns the first status one of them proves, or why none could.
func (rc *RevocationChecker) fetch(cert, issuer *x509.Certificate) (fetched, error) {
	type source struct {
		name  string
		crl   bool
		get   func() ([]byte, error)
		check func([]byte) (CertificateStatus, error)
	}
	var sources []source
	for _, url := range cert.OCSPServer {
		sources = append(sources, source{"OCSP " + url, false,
			func() ([]byte, error) { return rc.fetchOCSP(url, cert, issuer) },
			func(der []byte) (CertificateStatus, error) { return ocspStatus(der, cert, issuer) }})
	}
	for _, url := range cert.CRLDistributionPoints {
		sources = append(sources, source{"CRL " + url, true,
			func() ([]byte, error) { return rc.fetchCRL(url) },
			func(der []byte) (CertificateStatus, error) { return crlStatus(der, cert, issuer) }})
	}
	var failures []string
	for _, src := range sources {
		der, err := src.get()
		if err == nil {
			var st CertificateStatus
			if st, err = src.check(der); err == nil && !st.NextUpdate.IsZero() && time.Now().After(st.NextUpdate) {
				err = fmt.Errorf("out of date: its next update was due %s", st.NextUpdate.Format(time.RFC3339))
			}
			if err == nil {
				st.Source = src.name
				return fetched{status: st, der: der, crl: src.crl}, nil
			}
		}
		failures = append(failures, fmt.Sprintf("%s: %v", src.name, err))
	}
	return fetched{}, errors.New(strings.Join(failures, "; "))
}

// ocspStatus checks an OCSP response about cert: signed by the issuer or by a
// responder the issuer delegated (extended key usage OCSPSigning).
func ocspStatus(der []byte, cert, issuer *x509.Certificate) (CertificateStatus, error) {
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return CertificateStatus{}, err
	}
	if resp.Certificate != nil && !resp.Certificate.Equal(issuer) && !hasExtKeyUsage(resp.Certificate, x509.ExtKeyUsageOCSPSigning) {
		return CertificateStatus{}, errors.New("the OCSP responder is not authorised by the issuer")
	}
	st := CertificateStatus{Subject: cert.Subject.CommonName, ThisUpdate: resp.ThisUpdate, NextUpdate: resp.NextUpdate}
	switch resp.Status {
	case ocsp.Good:
		st.Status = StatusGood
	case ocsp.Revoked:
		st.Status, st.RevokedAt = StatusRevoked, resp.RevokedAt
	default:
		st.Status, st.Detail = StatusUnknown, "the OCSP responder does not know the certificate"
	}
	return st, nil
}

func hasExtKeyUsage(c *x509.Certificate, want x509.ExtKeyUsage) bool {
	for _, u := range c.ExtKeyUsage {
		if u == want {
			return true
		}
	}
	return false
}

// crlStatus checks cert against a CRL signed by its issuer.
func crlStatus(der []byte, cert, issuer *x509.Certificate) (CertificateStatus, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return CertificateStatus{}, err
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return CertificateStatus{}, errors.New("the CRL is not the issuer's")
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return CertificateStatus{}, fmt.Errorf("the CRL's signature: %w", err)
	}
	st := CertificateStatus{Subject: cert.Subject.CommonName, Status: StatusGood, ThisUpdate: crl.ThisUpdate, NextUpdate: crl.NextUpdate}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			st.Status, st.RevokedAt = StatusRevoked, e.RevocationTime
		}
	}
	return st, nil
}

func (rc *RevocationChecker) client() *http.Client {
	if rc.Client != nil {
		return rc.Client
	}
	return &http.Client{Timeout: revocationTimeout}
}

func (rc *RevocationChecker) fetchOCSP(url string, cert, issuer *x509.Certificate) ([]byte, error) {
	key := fmt.Sprintf("ocsp %s %x %s", url, sha256.Sum256(issuer.Raw), cert.SerialNumber)
	if der := rc.cached(key); der != nil {
		return der, nil
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, err
	}
	resp, err := rc.client().Post(url, "application/ocsp-request", bytes.NewReader(req))
	der, err := readResponse(resp, err, maxOCSPResponse)
	if err != nil {
		return nil, err
	}
	if parsed, err := ocsp.ParseResponse(der, nil); err == nil {
		rc.keep(key, der, parsed.NextUpdate)
	}
	return der, nil
}

func (rc *RevocationChecker) fetchCRL(url string) ([]byte, error) {
	key := "crl " + url
	if der := rc.cached(key); der != nil {
		return der, nil
	}
	resp, err := rc.client().Get(url)
	der, err := readResponse(resp, err, maxCRL)
	if err != nil {
		return nil, err
	}
	if crl, err := x509.ParseRevocationList(der); err == nil {
		rc.keep(key, der, crl.NextUpdate)
	}
	return der, nil
}

func readResponse(resp *http.Response, err error, limit int64) ([]byte, error) {
	if err != nil {
		return nil, fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("response larger than %d bytes", limit)
	}
	return body, nil
}

func (rc *RevocationChecker) cached(key string) []byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if c, ok := rc.cache[key]; ok && time.Now().Before(c.until) {
		return c.der
	}
	return nil
}

func (rc *RevocationChecker) keep(key string, der []byte, nextUpdate time.Time) {
	if nextUpdate.IsZero() {
		nextUpdate = time.Now().Add(unknownCacheTime)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.cache == nil || len(rc.cache) >= maxCached {
		rc.cache = map[string]cachedResponse{}
	}
	rc.cache[key] = cachedResponse{der: der, until: nextUpdate}
}

// embeddedRevocation gathers the revocation data of the signature's CMS and of
// the document's /DSS.
func (v *verification) embeddedRevocation(sig *cmsSignature) embeddedRevocation {
	data := sig.revocation
	data.add(v.dss)
	return data
}

// checkRevocation finds the status of every certificate of chain below its
// anchor. A certificate revoked before the signing time (or revoked at all when
// that time is only the signer's claim) makes the signature invalid; a status
// that cannot be found makes it "unknown", which is not valid either.
func (v *verification) checkRevocation(chain []*x509.Certificate, data embeddedRevocation) {
	for i := 0; i+1 < len(chain); i++ {
		st := v.trust.Revocation.status(chain[i], chain[i+1], data, v.report.SigningTime, v.timeTrusted)
		v.report.Revocation = append(v.report.Revocation, st)
		switch {
		case st.Status == StatusRevoked && (!v.timeTrusted || !st.RevokedAt.After(v.report.SigningTime)):
			v.problem("certificate of %q was revoked on %s (%s)", st.Subject, st.RevokedAt.Format(time.RFC3339), st.Source)
		case st.Status == StatusUnknown:
			v.problem("revocation status of %q is unknown: %s", st.Subject, st.Detail)
		}
	}
}

// RevokedInChain checks a verified chain (signer first, each certificate issued by
// the next) as of now, asking the certificates' services in auto mode, and returns
// the status of the first certificate found revoked. A status that cannot be found
// does not count as revoked: an unreachable service must not stop the exchange.
// A nil checker finds nothing revoked.
func (rc *RevocationChecker) RevokedInChain(chain []*x509.Certificate) (CertificateStatus, bool) {
	for i := 0; i+1 < len(chain); i++ {
		if st := rc.status(chain[i], chain[i+1], embeddedRevocation{}, time.Now(), false); st.Status == StatusRevoked {
			return st, true
		}
	}
	return CertificateStatus{}, false
}
