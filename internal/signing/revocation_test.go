package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"edms/internal/signing/pdfread"
	"edms/internal/signing/pdfread/pdftest"
	"edms/internal/signing/pki"

	"github.com/digitorus/pdf"
	"golang.org/x/crypto/ocsp"
)

// revocationPKI is a CA made by the test with an OCSP responder and a CRL
// distribution point on loopback, and a signer whose certificate names them.
type revocationPKI struct {
	testPKI
	list              *pki.RevocationList
	ocspSrv, crlSrv   *httptest.Server
	ocspHits, crlHits atomic.Int32
}

// newRevocationPKI issues the signer with the services asked for.
func newRevocationPKI(t testing.TB, withOCSP, withCRL bool) *revocationPKI {
	t.Helper()
	root, err := pki.NewRootCA("revocation test root")
	if err != nil {
		t.Fatal(err)
	}
	rp := &revocationPKI{list: root.NewRevocationList()}
	rp.ocspSrv = httptest.NewServer(counted(&rp.ocspHits, rp.list.OCSPHandler()))
	rp.crlSrv = httptest.NewServer(counted(&rp.crlHits, rp.list.CRLHandler()))
	t.Cleanup(rp.ocspSrv.Close)
	t.Cleanup(rp.crlSrv.Close)
	opts := pki.Options{Subject: pki.Subject{CommonName: "Trần Thị Thu", Organization: "UBND xã Yên Ninh"}}
	if withOCSP {
		opts.OCSPServer = []string{rp.ocspSrv.URL}
	}
	if withCRL {
		opts.CRLDistributionPoints = []string{rp.crlSrv.URL + "/root.crl"}
	}
	person, err := root.IssuePerson(opts)
	if err != nil {
		t.Fatal(err)
	}
	rp.testPKI = testPKI{root: root, person: person}
	return rp
}

func counted(hits *atomic.Int32, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	})
}

func (rp *revocationPKI) sign(t testing.TB, s *Signer) ([]byte, error) {
	t.Helper()
	s.Identity = identityOf(t, rp.person)
	var out bytes.Buffer
	err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{PersonBlock: PersonBlock{FullName: "Trần Thị Thu"}, Page: 1, Rect: leaderBlock})
	return out.Bytes(), err
}

func (rp *revocationPKI) verify(t *testing.T, signed []byte, mode RevocationMode) SignatureReport {
	t.Helper()
	trust := NewTrustStore(rp.root.Cert)
	trust.Revocation = NewRevocationChecker(mode)
	rep, err := Verify(bytesDoc(signed), trust)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != 1 {
		t.Fatalf("want one signature: %+v", rep)
	}
	return rep.Signatures[0]
}

// signerStatus is the revocation status of the test signer's certificate.
func signerStatus(sig SignatureReport) CertificateStatus {
	for _, st := range sig.Revocation {
		if st.Subject == "Trần Thị Thu" {
			return st
		}
	}
	return CertificateStatus{}
}

func requireStatus(t *testing.T, sig SignatureReport, status, source string) {
	t.Helper()
	if st := signerStatus(sig); st.Status != status || !strings.HasPrefix(st.Source, source) {
		t.Fatalf("revocation: want %s from %s: %+v", status, source, sig)
	}
}

func TestRevocationOCSPGoodAndCached(t *testing.T) {
	rp := newRevocationPKI(t, true, true)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	trust := NewTrustStore(rp.root.Cert)
	trust.Revocation = NewRevocationChecker(RevocationAuto)
	for range 2 {
		rep, err := Verify(bytesDoc(signed), trust)
		if err != nil {
			t.Fatal(err)
		}
		sig := rep.Signatures[0]
		requireStatus(t, sig, StatusGood, "OCSP "+rp.ocspSrv.URL)
		if !rep.Valid() {
			t.Fatalf("a good OCSP status must leave the signature valid: %+v", sig)
		}
	}
	if rp.ocspHits.Load() != 1 || rp.crlHits.Load() != 0 {
		t.Errorf("the second verification must reuse the cached OCSP response: %d OCSP, %d CRL requests", rp.ocspHits.Load(), rp.crlHits.Load())
	}
}

func TestRevocationRevokedCertificate(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Hour))
	sig := rp.verify(t, signed, RevocationAuto)
	requireStatus(t, sig, StatusRevoked, "OCSP")
	if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), "was revoked on") {
		t.Errorf("a certificate revoked before signing must make the signature invalid: %+v", sig)
	}
}

// TestRevocationAfterSigningTime: revoked after a timestamped signing time the
// signature stays valid; after a time the signer only claims, it does not (a
// stolen key can claim any time).
func TestRevocationAfterSigningTime(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	tsa := demoTSA(t, rp.testPKI)
	stamped, err := rp.sign(t, &Signer{TSAURL: tsa})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(time.Minute))
	if sig := rp.verify(t, stamped, RevocationAuto); !sig.Valid() || signerStatus(sig).Status != StatusRevoked {
		t.Errorf("revoked after a timestamped signature: want valid, with the revocation shown: %+v", sig)
	}
	if sig := rp.verify(t, claimed, RevocationAuto); sig.Valid() {
		t.Errorf("revoked after a claimed signing time: want invalid: %+v", sig)
	}
}

func TestRevocationCRL(t *testing.T) {
	rp := newRevocationPKI(t, false, true)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	if sig := rp.verify(t, signed, RevocationAuto); !sig.Valid() {
		t.Fatalf("not revoked on the CRL: want valid: %+v", sig)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Minute))
	trust := NewTrustStore(rp.root.Cert)
	trust.Revocation = NewRevocationChecker(RevocationAuto) // a fresh cache
	rep, err := Verify(bytesDoc(signed), trust)
	if err != nil {
		t.Fatal(err)
	}
	requireStatus(t, rep.Signatures[0], StatusRevoked, "CRL "+rp.crlSrv.URL)
	if rep.Valid() {
		t.Errorf("revoked on the CRL: want invalid: %+v", rep.Signatures[0])
	}
}

func TestRevocationUnknown(t *testing.T) {
	rp := newRevocationPKI(t, true, true)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	embedded := rp.verify(t, signed, RevocationEmbedded)
	requireStatus(t, embedded, StatusUnknown, "")
	rp.ocspSrv.Close()
	rp.crlSrv.Close()
	unreachable := rp.verify(t, signed, RevocationAuto)
	requireStatus(t, unreachable, StatusUnknown, "")
	for _, sig := range []SignatureReport{embedded, unreachable} {
		if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), "revocation status of \"Trần Thị Thu\" is unknown") {
			t.Errorf("an unknown revocation status must not be valid: %+v", sig)
		}
	}
	if off := rp.verify(t, signed, RevocationOff); !off.Valid() || signerStatus(off).Status != StatusNotChecked {
		t.Errorf("revocation off: want valid and 'not checked': %+v", off)
	}
}

// TestPAdESLongTermValidation signs B-LT with a timestamp (B-T) and checks the
// file offline: the /DSS answers for the signer and the timestamp authority with
// the responders gone. pdfsig and qpdf must accept the file.
func TestPAdESLongTermValidation(t *testing.T) {
	rp := newRevocationPKI(t, true, true)
	tsa, err := rp.root.NewTimestampAuthorityWithRevocation("edms demo TSA", pki.RevocationServices{OCSPServer: []string{rp.ocspSrv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	tsaSrv := httptest.NewServer(tsa)
	defer tsaSrv.Close()
	signed, err := rp.sign(t, &Signer{TSAURL: tsaSrv.URL, Revocation: NewRevocationChecker(RevocationAuto)})
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "pades-lt.pdf", signed)
	qpdfCheck(t, path)
	out, err := pdfsigReport(t, rp.nssDB(t), path)
	// pdfsig ignores the /DSS and asks the OCSP responder itself (still running
	// here); with the responder gone it reports "Unknown issue with Certificate"
	// where edms, offline, finds the embedded response.
	if err != nil || strings.Count(out, "Signature Validation: Signature is Valid.") != 1 || strings.Count(out, "Certificate is Trusted.") != 1 || !strings.Contains(out, "ETSI.CAdES.detached") {
		t.Fatalf("pdfsig on PAdES B-LT: %v\n%s", err, out)
	}
	rp.ocspSrv.Close()
	rp.crlSrv.Close()
	sig := rp.verify(t, signed, RevocationEmbedded)
	requireStatus(t, sig, StatusGood, "OCSP, embedded")
	if !sig.Valid() || !sig.PAdES || sig.SubFilter != "ETSI.CAdES.detached" || !strings.HasPrefix(sig.TimeSource, "RFC 3161") {
		t.Fatalf("PAdES B-LT signature: %+v", sig)
	}
	rdr, err := bytesDoc(signed).open()
	if err != nil {
		t.Fatal(err)
	}
	dss := rdr.Trailer().Key("Root").Key("DSS")
	if tsaStatus := sig.Revocation[0]; tsaStatus.Subject != "edms demo TSA" || tsaStatus.Status != StatusGood || tsaStatus.Source != "OCSP, embedded" {
		t.Errorf("the timestamp authority's status must come from the /DSS: %+v", sig.Revocation)
	}
	if dss.Key("Certs").Len() != 3 || dss.Key("OCSPs").Len() != 2 || len(dss.Key("VRI").Keys()) != 1 {
		t.Errorf("DSS: %d certificates, %d OCSP responses, VRI %v", dss.Key("Certs").Len(), dss.Key("OCSPs").Len(), dss.Key("VRI").Keys())
	}
}

func TestSigningRefusesRevokedCertificate(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Hour))
	out, err := rp.sign(t, &Signer{Revocation: NewRevocationChecker(RevocationAuto)})
	if !errors.Is(err, ErrCertificateNotUsable) || len(out) != 0 {
		t.Fatalf("signing B-LT with a revoked certificate: want ErrCertificateNotUsable and no output, got %v (%d bytes)", err, len(out))
	}
}

// TestRevocationStaleEmbeddedData: an OCSP "good" issued before the signing time
// says nothing about the signing time. Offline it leaves the status unknown;
// online the responder's current answer decides.
func TestRevocationStaleEmbeddedData(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	signed, err := rp.sign(t, &Signer{TSAURL: demoTSA(t, rp.testPKI)})
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Clock = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	req, err := ocsp.CreateRequest(rp.person.Cert, rp.root.Cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := rp.list.OCSPResponse(req)
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Clock = nil
	var withDSS bytes.Buffer
	if err := addDSS(bytesDoc(signed), &withDSS, ltvData{vriKey: "00", embeddedRevocation: embeddedRevocation{ocsps: [][]byte{stale}}}); err != nil {
		t.Fatal(err)
	}
	offline := rp.verify(t, withDSS.Bytes(), RevocationEmbedded)
	requireStatus(t, offline, StatusUnknown, "")
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Hour))
	online := rp.verify(t, withDSS.Bytes(), RevocationAuto)
	requireStatus(t, online, StatusRevoked, "OCSP "+rp.ocspSrv.URL)
	if offline.Valid() || online.Valid() {
		t.Errorf("a stale embedded 'good' must not validate: offline %+v, online %+v", offline, online)
	}
}

// TestRevocationClaimedTimeAsksResponder: without a timestamp the signer chose
// both the signing time and the embedded data, so auto mode asks the responder.
func TestRevocationClaimedTimeAsksResponder(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	signed, err := rp.sign(t, &Signer{Revocation: NewRevocationChecker(RevocationAuto)})
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(time.Minute))
	if sig := rp.verify(t, signed, RevocationEmbedded); !sig.Valid() {
		t.Errorf("offline, the embedded response is all there is: want valid: %+v", sig)
	}
	sig := rp.verify(t, signed, RevocationAuto)
	requireStatus(t, sig, StatusRevoked, "OCSP "+rp.ocspSrv.URL)
	if sig.Valid() {
		t.Errorf("revoked now, signing time only claimed: want invalid: %+v", sig)
	}
}

// TestBrokenDSSStream: a /DSS stream the reader cannot decode (here an unknown
// filter) is skipped; the rest of the report stands.
func TestBrokenDSSStream(t *testing.T) {
	p := demoPKI(t)
	signed := signPerson(t, p, makePDF(t, 1, 0))
	broken := appendUpdate(t, signed, func(u *update, _ pdf.Value) {
		stream := u.add([]byte("<< /Filter /NoSuchDecode /Length 3 >>\nstream\nabc\nendstream"))
		dss := u.add(fmt.Appendf(nil, "<< /OCSPs [ %d 0 R ] >>", stream))
		root := u.rdr.Trailer().Key("Root")
		var catalog bytes.Buffer
		writeDict(&catalog, root, objID(root), map[string]string{"DSS": fmt.Sprintf("%d 0 R", dss)})
		u.replace(objID(root), catalog.Bytes())
	})
	rep, err := Verify(bytesDoc(broken), NewTrustStore(p.root.Cert))
	if err != nil || !rep.Valid() {
		t.Fatalf("a broken /DSS stream must not stop verification: %v %+v", err, rep)
	}
}

// TestRevocationOutOfDateCRL: a CRL past its nextUpdate is not evidence of a good
// status; the status stays unknown.
func TestRevocationOutOfDateCRL(t *testing.T) {
	rp := newRevocationPKI(t, false, true)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	rp.list.Clock = func() time.Time { return time.Now().Add(-3 * time.Hour) }
	sig := rp.verify(t, signed, RevocationAuto)
	requireStatus(t, sig, StatusUnknown, "")
	if sig.Valid() || !strings.Contains(signerStatus(sig).Detail, "out of date") {
		t.Errorf("a CRL past its next update must leave the status unknown: %+v", sig)
	}
}

// TestDSSBehindHybridCrossReference: the verifier reads the /DSS through the same
// reader as the rest of the file, so a /DSS added by an update whose new catalog
// is listed only in the /XRefStm of a hybrid-reference section (which
// digitorus/pdf ignores) is found, as viewers find it, and its OCSP response
// decides the status offline; without it the status is unknown.
func TestDSSBehindHybridCrossReference(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	signed, err := rp.sign(t, &Signer{})
	if err != nil {
		t.Fatal(err)
	}
	requireStatus(t, rp.verify(t, signed, RevocationEmbedded), StatusUnknown, "")
	req, err := ocsp.CreateRequest(rp.person.Cert, rp.root.Cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := rp.list.OCSPResponse(req)
	if err != nil {
		t.Fatal(err)
	}
	b := newSignedBase(t, signed)
	withDSS := b.update(t, pdftest.Update{Style: pdftest.Hybrid, Objects: map[uint32]string{900: "(padding)"}, Hidden: map[uint32]string{
		b.catalog: b.with(b.catalog, pdfread.Dict{"DSS": pdfread.Ref{Num: 901}}),
		901:       "<< /Type /DSS /OCSPs [ 902 0 R ] >>",
		902:       pdftest.FlateStream("", response),
	}})
	sig := rp.verify(t, withDSS, RevocationEmbedded)
	requireStatus(t, sig, StatusGood, "OCSP, embedded")
	if !sig.Valid() {
		t.Errorf("a /DSS update is a permitted change: %+v", sig)
	}
}

// TestRevokedInChain: a chain is clean until its CA revokes the signer; an
// unreachable service, revocation off and a nil checker find nothing revoked.
func TestRevokedInChain(t *testing.T) {
	rp := newRevocationPKI(t, false, true)
	chain := []*x509.Certificate{rp.person.Cert, rp.root.Cert}
	auto := NewRevocationChecker(RevocationAuto)
	if st, revoked := auto.RevokedInChain(chain); revoked {
		t.Fatalf("nothing is revoked yet: %+v", st)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Minute))
	fresh := NewRevocationChecker(RevocationAuto) // the first one keeps the CRL until its nextUpdate
	if st, revoked := fresh.RevokedInChain(chain); !revoked || st.Subject != "Trần Thị Thu" {
		t.Errorf("revoked signer: %+v, %v", st, revoked)
	}
	var none *RevocationChecker
	for name, rc := range map[string]*RevocationChecker{"off": NewRevocationChecker(RevocationOff), "nil": none} {
		if _, revoked := rc.RevokedInChain(chain); revoked {
			t.Errorf("%s checker found a revocation", name)
		}
	}
	rp.crlSrv.Close()
	if _, revoked := NewRevocationChecker(RevocationAuto).RevokedInChain(chain); revoked {
		t.Error("an unreachable CRL must not count as a revocation")
	}
}
