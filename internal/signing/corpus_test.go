package signing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"edms/internal/signing/pdfread"
	"edms/internal/signing/pdfread/pdftest"
	"edms/internal/testenv"

	"github.com/digitorus/pdfsign/sign"
)

// The proof corpus: files built from a signed document by incremental updates,
// each with the verdict the verifier must reach and the rule that decides it.
// Every file is also cross-checked against qpdf revision by revision, and
// compared with pdfsig, which checks the signed bytes only: for every update
// below pdfsig says "Signature is Valid" but "not total document signed", since
// it does not analyse what later revisions change. That is the expected
// disagreement; the verifier is the one that judges the update.

// signedBase is what the corpus starts from: page 1 and its content, the
// signature widget and its appearance (if signed), the catalog, read with pdfread.
type signedBase struct {
	data                                       []byte
	rd                                         *pdfread.Reader
	page, content, widget, appearance, catalog uint32
}

func newSignedBase(t testing.TB, data []byte) signedBase {
	t.Helper()
	rd, err := pdfread.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	v := view{rd: rd}
	b := signedBase{data: data, rd: rd, catalog: refNum(rd.Trailer()["Root"])}
	b.page = v.pages()[0]
	b.content = refNum(b.dict(b.page)["Contents"])
	if fields := v.signatureFields(); len(fields) > 0 {
		w := fields[0].widgets[0]
		b.widget = refNum(w)
		b.appearance = refNum(v.dict(v.dict(w)["AP"])["N"])
	}
	return b
}

func (b signedBase) dict(num uint32) pdfread.Dict {
	d, _ := b.rd.Object(num).(pdfread.Dict)
	out := pdfread.Dict{}
	for k, v := range d {
		out[k] = v
	}
	return out
}

// with returns object num rewritten with the given entries changed.
func (b signedBase) with(num uint32, entries pdfread.Dict) string {
	d := b.dict(num)
	for k, v := range entries {
		d[k] = v
	}
	return pdftest.Format(d)
}

// catalogWithField is the catalog with field appended to its AcroForm /Fields.
func (b signedBase) catalogWithField(field uint32) string {
	form := b.dict(b.catalog)["AcroForm"].(pdfread.Dict)
	fields := append(pdfread.Array{}, form["Fields"].(pdfread.Array)...)
	return b.with(b.catalog, pdfread.Dict{"AcroForm": pdfread.Dict{"Fields": append(fields, pdfread.Ref{Num: field}), "SigFlags": form["SigFlags"]}})
}

// pageWithAnnot is page 1 with annot appended to its /Annots.
func (b signedBase) pageWithAnnot(annot uint32) string {
	annots := append(pdfread.Array{}, b.dict(b.page)["Annots"].(pdfread.Array)...)
	return b.with(b.page, pdfread.Dict{"Annots": append(annots, pdfread.Ref{Num: annot})})
}

func (b signedBase) update(t testing.TB, u pdftest.Update) []byte {
	t.Helper()
	out, err := pdftest.Append(b.data, u)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const forged = "1 1 1 rg 0 0 595 842 re f 0 0 0 rg BT /Helv 40 Tf 100 400 Td (KHONG CO HIEU LUC) Tj ET"

// visibleForm is an appearance stream drawing forged text over a box.
func visibleForm(w, h int) string {
	return pdftest.FlateStream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %d %d]", w, h), []byte(forged))
}

// newField adds field (a merged field and widget at rect, with appearance ap
// and value v) to the AcroForm and to page 1.
func (b signedBase) newField(field, apNum uint32, rect, v string) map[uint32]string {
	return map[uint32]string{
		b.catalog: b.catalogWithField(field),
		b.page:    b.pageWithAnnot(field),
		field:     fmt.Sprintf("<< /FT /Sig /T (Chu ky 2) /Type /Annot /Subtype /Widget /F 4 /Rect %s /P %d 0 R /AP << /N %d 0 R >> %s >>", rect, b.page, apNum, v),
	}
}

type corpusCase struct {
	build func(t testing.TB, b signedBase) []byte
	valid bool   // the first signature's verdict
	rule  string // a rule that must appear among its changes
}

func corpus() map[string]corpusCase {
	return map[string]corpusCase{
		"hybrid redirect of page content": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Style: pdftest.Hybrid, Objects: map[uint32]string{900: "(padding)"}, Hidden: map[uint32]string{b.content: pdftest.FlateStream("", []byte(forged))}})
		}, false, rulePageContent.id},
		"freed content object": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Free: []uint32{b.content}})
		}, false, ruleFreed.id},
		"page-covering widget on a new unsigned field": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: merge(b.newField(900, 901, "[0 0 595 842]", ""), map[uint32]string{901: visibleForm(595, 842)})})
		}, false, ruleUnsignedVisible.id},
		"invisible new unsigned field": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: merge(b.newField(900, 901, "[0 0 0 0]", ""), map[uint32]string{901: visibleForm(0, 0)})})
		}, true, ruleNewSigField.id},
		"new signature field with an appearance leaving its rectangle": {func(t testing.TB, b signedBase) []byte {
			sig := "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <00> >>"
			return b.update(t, pdftest.Update{Objects: merge(b.newField(900, 901, "[330 600 430 650]", "/V 902 0 R"), map[uint32]string{901: visibleForm(595, 842), 902: sig})})
		}, false, ruleAppearanceRect.id},
		"overridden shared appearance stream": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{b.appearance: visibleForm(210, 120)}})
		}, false, ruleObjectChanged.id},
		"DSS added after signing": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{
				b.catalog: b.with(b.catalog, pdfread.Dict{"DSS": pdfread.Ref{Num: 900}}),
				900:       "<< /Certs [901 0 R] /VRI << /0123456789ABCDEF0123456789ABCDEF01234567 << /Cert [901 0 R] >> >> >>",
				901:       pdftest.FlateStream("", []byte("certificate bytes")),
			}})
		}, true, ruleDSS.id},
		"XMP metadata added then updated": {func(t testing.TB, b signedBase) []byte {
			xmp := func(s string) string {
				return pdftest.FlateStream("/Type /Metadata /Subtype /XML", []byte("<x:xmpmeta xmlns:x='adobe:ns:meta/'>"+s+"</x:xmpmeta>"))
			}
			added := b.update(t, pdftest.Update{Objects: map[uint32]string{b.catalog: b.with(b.catalog, pdfread.Dict{"Metadata": pdfread.Ref{Num: 900}}), 900: xmp("1")}})
			out, err := pdftest.Append(added, pdftest.Update{Objects: map[uint32]string{900: xmp("2")}})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, true, ruleMetadata.id},
		"/Extensions updated": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{b.catalog: b.with(b.catalog, pdfread.Dict{"Extensions": pdfread.Dict{"ADBE": pdfread.Dict{"BaseVersion": pdfread.Name("1.7"), "ExtensionLevel": int64(8)}}})}})
		}, true, ruleExtensions.id},
		"objects rewritten unchanged": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{b.page: b.with(b.page, nil), b.catalog: b.with(b.catalog, nil)}})
		}, true, ruleIdentical.id},
		"object stream rewriting the page unchanged": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Style: pdftest.Stream, Compressed: map[uint32]string{b.page: b.with(b.page, nil)}})
		}, true, ruleIdentical.id},
		"object stream redirecting page content": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Style: pdftest.Stream, Objects: map[uint32]string{900: pdftest.FlateStream("", []byte(forged))}, Compressed: map[uint32]string{b.page: b.with(b.page, pdfread.Dict{"Contents": pdfread.Ref{Num: 900}})}})
		}, false, rulePageContent.id},
		"broken xref offset in the update": {func(t testing.TB, b signedBase) []byte {
			out := b.update(t, pdftest.Update{Objects: map[uint32]string{b.catalog: b.with(b.catalog, pdfread.Dict{"Extensions": pdfread.Dict{}})}})
			i := bytes.LastIndex(out, []byte(" 00000 n"))
			out[i-1]++ // the last digit of the catalog's offset
			return out
		}, false, ruleDamagedXref.id},
		"new signature field with a JavaScript action": {func(t testing.TB, b signedBase) []byte {
			objects := b.newField(900, 901, "[0 0 0 0]", "/AA << /PO << /S /JavaScript /JS (app.alert(1)) >> >>")
			objects[901] = visibleForm(0, 0)
			return b.update(t, pdftest.Update{Objects: objects})
		}, false, ruleAnnotation.id},
		"/Info replaced": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{900: "<< /Title (Quyet dinh) /ModDate (D:20261202090000+07'00') >>"}, Trailer: "/Info 900 0 R"})
		}, true, ruleInfo.id},
		"/Perms added": {func(t testing.TB, b signedBase) []byte {
			return b.update(t, pdftest.Update{Objects: map[uint32]string{b.catalog: b.with(b.catalog, pdfread.Dict{"Perms": pdfread.Dict{"UR3": pdfread.Ref{Num: 900}}}), 900: "<< /Type /Sig >>"}})
		}, true, rulePerms.id},
		"/SigFlags changed": {func(t testing.TB, b signedBase) []byte {
			form := b.dict(b.catalog)["AcroForm"].(pdfread.Dict)
			return b.update(t, pdftest.Update{Objects: map[uint32]string{b.catalog: b.with(b.catalog, pdfread.Dict{"AcroForm": pdfread.Dict{"Fields": form["Fields"], "SigFlags": int64(1)}})}})
		}, true, ruleAcroForm.id},
		"signed widget outside the AcroForm": {func(t testing.TB, b signedBase) []byte {
			sig := "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <00> >>"
			objects := b.newField(900, 901, "[330 600 430 650]", "/V 902 0 R")
			delete(objects, b.catalog) // on the page only
			objects[901], objects[902] = visibleForm(100, 50), sig
			return b.update(t, pdftest.Update{Objects: objects})
		}, false, ruleFormField.id},
		"text form field added": {func(t testing.TB, b signedBase) []byte {
			objects := b.newField(900, 901, "[100 100 400 140]", "/V (Huy bo)")
			objects[900] = strings.Replace(objects[900], "/FT /Sig", "/FT /Tx", 1)
			objects[901] = visibleForm(300, 40)
			return b.update(t, pdftest.Update{Objects: objects})
		}, false, ruleFormField.id},
		"catalog replaced by a new object": {func(t testing.TB, b signedBase) []byte {
			pages := "<< /Type /Pages /Kids [902 0 R] /Count 1 >>"
			page := b.with(b.page, pdfread.Dict{"Parent": pdfread.Ref{Num: 901}, "Contents": pdfread.Ref{Num: 903}})
			catalog := b.with(b.catalog, pdfread.Dict{"Pages": pdfread.Ref{Num: 901}})
			return b.update(t, pdftest.Update{Objects: map[uint32]string{900: catalog, 901: pages, 902: page, 903: pdftest.FlateStream("", []byte(forged))}, Trailer: "/Root 900 0 R"})
		}, false, ruleCatalog.id},
		"signature value attached to a new field": {func(t testing.TB, b signedBase) []byte {
			sigValue := b.dict(b.widget)["V"].(pdfread.Ref)
			return b.update(t, pdftest.Update{Objects: merge(b.newField(900, 901, "[0 0 0 0]", "/V "+sigValue.String()), map[uint32]string{901: visibleForm(0, 0)})})
		}, false, ruleFieldNotInSigned.id},
	}
}

func merge(a, b map[uint32]string) map[uint32]string {
	out := map[uint32]string{}
	for _, m := range []map[uint32]string{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestChangeCorpus(t *testing.T) {
	p := demoPKI(t)
	nss := p.nssDB(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	for name, c := range corpus() {
		t.Run(name, func(t *testing.T) {
			data := c.build(t, base)
			rep := verifyBytes(t, p, data)
			sig := rep.Signatures[0]
			if sig.Valid() != c.valid || !hasRule(sig.Changes, c.rule) {
				t.Errorf("want valid=%v with rule %s, got valid=%v\nchanges: %v\nproblems: %v", c.valid, c.rule, sig.Valid(), sig.Changes, sig.Problems)
			}
			pdftest.CrossCheck(t, data)
			out, _ := pdfsigReport(t, nss, writeTemp(t, "corpus.pdf", data))
			if !strings.Contains(out, "Signature is Valid.") || strings.Contains(out, "Total document signed") {
				t.Errorf("pdfsig was expected to validate the signed bytes and to see a partial coverage:\n%s", out)
			}
		})
	}
}

func hasRule(changes []Change, id string) bool {
	for _, c := range changes {
		if c.Rule == id {
			return true
		}
	}
	return false
}

// TestUnsignedFieldNeverSigned: a new field pointing at the existing signature
// value is listed, but never as a valid signature.
func TestUnsignedFieldNeverSigned(t *testing.T) {
	p := demoPKI(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	rep := verifyBytes(t, p, corpus()["signature value attached to a new field"].build(t, base))
	if len(rep.Signatures) != 2 || rep.Signatures[1].Valid() || rep.Valid() {
		t.Fatalf("the copied field must not count as signed: %+v", rep.Signatures)
	}
}

// TestReaderSeesWhatViewersSee shows why the verifier does not use
// digitorus/pdf: it ignores /XRefStm and resolves the page content the hybrid
// update replaced, where pdfread and qpdf resolve the forged one.
func TestReaderSeesWhatViewersSee(t *testing.T) {
	p := demoPKI(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	data := corpus()["hybrid redirect of page content"].build(t, base)
	old, err := bytesDoc(data).open()
	if err != nil {
		t.Fatal(err)
	}
	page, _ := pageByNumber(old.Trailer().Key("Root"), 1)
	var seenByDigitorus bytes.Buffer
	seenByDigitorus.ReadFrom(page.Key("Contents").Reader())
	show := run(t, testenv.LookTool(t, "qpdf"), "--show-object="+fmt.Sprint(base.content), "--filtered-stream-data", writeTemp(t, "hybrid.pdf", data))
	if strings.Contains(seenByDigitorus.String(), "KHONG CO HIEU LUC") || !strings.Contains(show, "KHONG CO HIEU LUC") {
		t.Errorf("digitorus/pdf should see the original content and qpdf the forged one:\n%q\n%q", seenByDigitorus.String(), show)
	}
}

// certify signs in as a certification signature with DocMDP permission perm.
func certify(t *testing.T, p testPKI, in []byte, perm sign.DocMDPPerm) []byte {
	return signWith(t, p, in, func(sd *sign.SignData) {
		sd.Signature.CertType = sign.CertificationSignature
		sd.Signature.DocMDPPerm = perm
	})
}

// signWith signs in invisibly with pdfsign as the agency, after adjust changed
// the request (certification, document timestamp).
func signWith(t *testing.T, p testPKI, in []byte, adjust func(*sign.SignData)) []byte {
	t.Helper()
	doc := bytesDoc(in)
	rdr, err := doc.open()
	if err != nil {
		t.Fatal(err)
	}
	s := &Signer{Identity: identityOf(t, p.agency)}
	sd := s.signData(s.Identity, placement{page: 1, name: "Agency", at: time.Now()})
	sd.Appearance = sign.Appearance{}
	adjust(&sd)
	var out bytes.Buffer
	if err := sign.Sign(doc.section(), &out, rdr, doc.size, sd); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDocumentTimestampAfterSigning: a document timestamp added by pdfsign
// after the leader's signature is a permitted change.
func TestDocumentTimestampAfterSigning(t *testing.T) {
	p := demoPKI(t)
	tsa, err := p.root.NewTimestampAuthority("edms test TSA")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tsa)
	defer srv.Close()
	stamped := signWith(t, p, signPerson(t, p, makePDF(t, 1, 0)), func(sd *sign.SignData) {
		sd.Signature.CertType = sign.TimeStampSignature
		sd.TSA = sign.TSA{URL: srv.URL}
	})
	pdftest.CrossCheck(t, stamped)
	sig := verifyBytes(t, p, stamped).Signatures[0]
	if !sig.Valid() || !hasRule(sig.Changes, ruleDocTimestamp.id) {
		var b bytes.Buffer
		WriteSummary(&b, verifyBytes(t, p, stamped))
		t.Errorf("a document timestamp must be permitted:\n%s", b.String())
	}
}

// TestDocMDP: a certification signature narrows the policy to its /P level.
func TestDocMDP(t *testing.T) {
	p := demoPKI(t)
	dss := corpus()["DSS added after signing"].build
	cases := []struct {
		name  string
		perm  sign.DocMDPPerm
		after func(t testing.TB, b signedBase) []byte
		valid bool
		rule  string
	}{
		{"P=1 then the issue stamp", sign.DoNotAllowAnyChangesPerms, func(t testing.TB, b signedBase) []byte { return addIssueStamp(t, b.data) }, false, ruleDocMDP.id},
		{"P=1 then a signature", sign.DoNotAllowAnyChangesPerms, func(t testing.TB, b signedBase) []byte { return signPerson(t, p, b.data) }, false, ruleDocMDP.id},
		{"P=1 then DSS", sign.DoNotAllowAnyChangesPerms, dss, true, ruleDSS.id},
		{"P=2 then a signature", sign.AllowFillingExistingFormFieldsAndSignaturesPerms, func(t testing.TB, b signedBase) []byte { return signPerson(t, p, b.data) }, true, ruleNewSigField.id},
		{"P=2 then the issue stamp", sign.AllowFillingExistingFormFieldsAndSignaturesPerms, func(t testing.TB, b signedBase) []byte { return addIssueStamp(t, b.data) }, false, ruleDocMDP.id},
		{"P=3 then the issue stamp", sign.AllowFillingExistingFormFieldsAndSignaturesAndCRUDAnnotationsPerms, func(t testing.TB, b signedBase) []byte { return addIssueStamp(t, b.data) }, true, ruleIssueStamp.id},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			certified := certify(t, p, makePDF(t, 1, 0), c.perm)
			data := c.after(t, newSignedBase(t, certified))
			pdftest.CrossCheck(t, data)
			sig := verifyBytes(t, p, data).Signatures[0]
			if sig.Certification != int64(c.perm) || sig.Valid() != c.valid || !hasRule(sig.Changes, c.rule) {
				t.Errorf("want /P %d valid=%v rule %s, got /P %d valid=%v\nchanges: %v\nproblems: %v", c.perm, c.valid, c.rule, sig.Certification, sig.Valid(), sig.Changes, sig.Problems)
			}
		})
	}
}

// TestSignedFlowsReadAsQpdf cross-checks pdfread with qpdf on every revision of
// the files edms itself writes: fpdf output, pdfsign signatures, the issue
// stamp, the seal and a certification.
func TestSignedFlowsReadAsQpdf(t *testing.T) {
	p := demoPKI(t)
	leader := signPerson(t, p, makePDF(t, 2, 0))
	sealed := applySeal(t, p, addIssueStamp(t, leader))
	pdftest.CrossCheck(t, sealed)
	pdftest.CrossCheck(t, certify(t, p, makePDF(t, 1, 0), sign.AllowFillingExistingFormFieldsAndSignaturesPerms))
}

// TestReportShowsChanges: the text summary and the JSON report name each
// change's object and rule.
func TestReportShowsChanges(t *testing.T) {
	p := demoPKI(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	rep := verifyBytes(t, p, corpus()["freed content object"].build(t, base))
	var text bytes.Buffer
	WriteSummary(&text, rep)
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	wantText := fmt.Sprintf("object %d [%s]", base.content, ruleFreed.id)
	wantJSON := fmt.Sprintf(`{"object":%d,"rule":"%s","allowed":false`, base.content, ruleFreed.id)
	if !strings.Contains(text.String(), wantText) || !bytes.Contains(js, []byte(wantJSON)) {
		t.Errorf("want %q in the summary and %s in the JSON:\n%s\n%s", wantText, wantJSON, text.String(), js)
	}
}

// TestSigningAnEmptyField: a field left empty before the leader signs may be
// signed later with a new appearance inside its rectangle, but rewriting the
// appearance stream it already had is refused.
func TestSigningAnEmptyField(t *testing.T) {
	p := demoPKI(t)
	unsigned := newSignedBase(t, makePDF(t, 1, 0))
	withField := unsigned.update(t, pdftest.Update{Objects: map[uint32]string{
		unsigned.catalog: unsigned.with(unsigned.catalog, pdfread.Dict{"AcroForm": pdfread.Dict{"Fields": pdfread.Array{pdfread.Ref{Num: 900}}}}),
		unsigned.page:    unsigned.with(unsigned.page, pdfread.Dict{"Annots": pdfread.Array{pdfread.Ref{Num: 900}}}),
		900:              fmt.Sprintf("<< /FT /Sig /T (Van thu) /Type /Annot /Subtype /Widget /F 4 /Rect [330 600 430 650] /P %d 0 R /AP << /N 901 0 R >> >>", unsigned.page),
		901:              pdftest.FlateStream("/Type /XObject /Subtype /Form /BBox [0 0 100 50]", nil),
	}})
	signed := signPerson(t, p, withField)
	fakeSig := "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <00> >>"
	cases := map[string]struct {
		objects map[uint32]string
		valid   bool
		rule    string
	}{
		"new appearance": {map[uint32]string{
			900: fmt.Sprintf("<< /FT /Sig /T (Van thu) /Type /Annot /Subtype /Widget /F 4 /Rect [330 600 430 650] /P %d 0 R /AP << /N 951 0 R >> /V 950 0 R >>", unsigned.page),
			950: fakeSig, 951: visibleForm(100, 50),
		}, true, ruleSignEmptyField.id},
		"appearance rewritten in place": {map[uint32]string{
			900: fmt.Sprintf("<< /FT /Sig /T (Van thu) /Type /Annot /Subtype /Widget /F 4 /Rect [330 600 430 650] /P %d 0 R /AP << /N 901 0 R >> /V 950 0 R >>", unsigned.page),
			901: visibleForm(100, 50), 950: fakeSig,
		}, false, ruleObjectChanged.id},
		"visible widget added to the still empty field": {map[uint32]string{
			unsigned.page: signedPageWithAnnot(t, signed, 960),
			960:           fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent 900 0 R /F 4 /Rect [0 0 595 842] /P %d 0 R /AP << /N 961 0 R >> >>", unsigned.page),
			961:           visibleForm(595, 842),
		}, false, ruleUnsignedVisible.id},
		"appearance larger than the field": {map[uint32]string{
			900: fmt.Sprintf("<< /FT /Sig /T (Van thu) /Type /Annot /Subtype /Widget /F 4 /Rect [330 600 430 650] /P %d 0 R /AP << /N 951 0 R >> /V 950 0 R >>", unsigned.page),
			950: fakeSig, 951: visibleForm(595, 842),
		}, false, ruleAppearanceRect.id},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data, err := pdftest.Append(signed, pdftest.Update{Objects: c.objects})
			if err != nil {
				t.Fatal(err)
			}
			pdftest.CrossCheck(t, data)
			rep := verifyBytes(t, p, data)
			sig := findSignature(rep, "Signature 2") // the leader; pdfsign numbers its field after the empty one
			if sig.Valid() != c.valid || !hasRule(sig.Changes, c.rule) {
				var b bytes.Buffer
				WriteSummary(&b, rep)
				t.Log(b.String())
				t.Errorf("want valid=%v with rule %s, got valid=%v\nchanges: %v\nproblems: %v", c.valid, c.rule, sig.Valid(), sig.Changes, sig.Problems)
			}
		})
	}
}

// signedPageWithAnnot is page 1 of a signed file with annot appended.
func signedPageWithAnnot(t testing.TB, signed []byte, annot uint32) string {
	return newSignedBase(t, signed).pageWithAnnot(annot)
}

func findSignature(rep *Report, field string) SignatureReport {
	for _, s := range rep.Signatures {
		if s.Field == field {
			return s
		}
	}
	return SignatureReport{}
}

// TestDamagedSignedRevisionIsReported: a document whose original table has a
// wrong offset (for the information dictionary) is signed; the verifier reads
// it as viewers do and reports the repair of the signed revision.
func TestDamagedSignedRevisionIsReported(t *testing.T) {
	p := demoPKI(t)
	in := makePDF(t, 1, 0)
	rd, err := pdfread.Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := rd.Entry(refNum(rd.Trailer()["Info"]))
	entry := fmt.Sprintf("%010d 00000 n", info.Offset)
	damaged := bytes.Replace(in, []byte(entry), []byte(fmt.Sprintf("%010d 00000 n", info.Offset+1)), 1)
	if bytes.Equal(damaged, in) {
		t.Fatalf("entry %q not found", entry)
	}
	signed := signPerson(t, p, damaged)
	pdftest.CrossCheck(t, signed)
	rep := verifyBytes(t, p, signed)
	if len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "signed by field") || !rep.Valid() {
		t.Errorf("want a valid signature with the repair reported: %+v", rep)
	}
}

// TestForgeriesShowInViewers renders page 1 with poppler's pdftoppm: the
// header the leader signed is gone from the attack files a viewer shows,
// which is what the verifier reports as modified after signing.
//
// The freed content object is where viewers disagree: qpdf (and ISO 32000-1
// 7.5.4) resolve a reference to a free entry to null, so the page is empty,
// while poppler, meeting a reference to a free entry, rebuilds the table by
// scanning and shows the old object again. The verifier refuses the freeing
// whatever a given viewer makes of it.
func TestForgeriesShowInViewers(t *testing.T) {
	p := demoPKI(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	header := Rect{LLX: 60, LLY: 841.89 - 90, URX: 540, URY: 841.89 - 60}
	dir := t.TempDir()
	if got := share(render(t, dir, "signed", base.data), header, isDark); got < 0.01 {
		t.Fatalf("the signed page shows no header (%.4f dark)", got)
	}
	cases := map[string]bool{ // name: poppler still shows the signed header
		"hybrid redirect of page content":              false,
		"page-covering widget on a new unsigned field": false,
		"object stream redirecting page content":       false,
		"freed content object":                         true,
	}
	for name, headerShown := range cases {
		c := corpus()[name]
		img := render(t, dir, strings.ReplaceAll(name, " ", "-"), c.build(t, base))
		if got := share(img, header, isDark); (got > 0.01) != headerShown || c.valid {
			t.Errorf("%s: %.4f dark pixels where the signed header was; want it shown: %v", name, got, headerShown)
		}
	}
}

// TestMetadataThenCountersignature: the XMP metadata is updated (as Adobe
// Reader does when it countersigns) and the agency countersigns: both
// signatures stay valid and the leader's lists the metadata change.
func TestMetadataThenCountersignature(t *testing.T) {
	p := demoPKI(t)
	base := newSignedBase(t, signPerson(t, p, makePDF(t, 1, 0)))
	withXMP := corpus()["XMP metadata added then updated"].build(t, base)
	sealed := applySeal(t, p, withXMP)
	pdftest.CrossCheck(t, sealed)
	requirePdfsigValid(t, p.nssDB(t), writeTemp(t, "sealed.pdf", sealed), 2)
	rep := verifyBytes(t, p, sealed)
	if !rep.Valid() || !hasRule(rep.Signatures[0].Changes, ruleMetadata.id) || !hasRule(rep.Signatures[0].Changes, ruleNewSigField.id) {
		t.Errorf("want both signatures valid, the leader's with the metadata and the seal listed: %+v", rep)
	}
}

// TestBookkeepingCannotCoverContent: a document prepared so that /Info and
// /DSS point at objects the page uses (the font, the content stream) is signed;
// changing those objects later is still a change to the page, not bookkeeping.
func TestBookkeepingCannotCoverContent(t *testing.T) {
	p := demoPKI(t)
	unsigned := newSignedBase(t, makePDF(t, 1, 0))
	v := view{rd: unsigned.rd}
	var fontRef pdfread.Ref
	for _, f := range v.dict(v.dict(unsigned.dict(unsigned.page)["Resources"])["Font"]) {
		fontRef = f.(pdfread.Ref)
	}
	prepared := unsigned.update(t, pdftest.Update{
		Objects: map[uint32]string{unsigned.catalog: unsigned.with(unsigned.catalog, pdfread.Dict{"DSS": pdfread.Dict{"Certs": pdfread.Array{pdfread.Ref{Num: unsigned.content}}}})},
		Trailer: "/Info " + fontRef.String(),
	})
	signed := newSignedBase(t, signPerson(t, p, prepared))
	cases := map[string]map[uint32]string{
		"font rewritten as if it were /Info":       {fontRef.Num: signed.with(fontRef.Num, pdfread.Dict{"BaseFont": pdfread.Name("Courier")})},
		"content rewritten as if it were DSS data": {unsigned.content: pdftest.FlateStream("", []byte(forged))},
	}
	for name, objects := range cases {
		t.Run(name, func(t *testing.T) {
			data := signed.update(t, pdftest.Update{Objects: objects})
			pdftest.CrossCheck(t, data)
			sig := verifyBytes(t, p, data).Signatures[0]
			if sig.Valid() || hasRule(sig.Changes, ruleInfo.id) || hasRule(sig.Changes, ruleDSS.id) {
				t.Errorf("a change to what the page uses must be refused: %v", sig.Changes)
			}
		})
	}
}

// TestContentDisguisedAsObjectStream: a content stream prepared with /Type
// /ObjStm before signing is still page content, not a container to skip.
func TestContentDisguisedAsObjectStream(t *testing.T) {
	p := demoPKI(t)
	unsigned := newSignedBase(t, makePDF(t, 1, 0))
	st := unsigned.rd.Object(unsigned.content).(*pdfread.Stream)
	data, err := unsigned.rd.Data(st)
	if err != nil {
		t.Fatal(err)
	}
	prepared := unsigned.update(t, pdftest.Update{Objects: map[uint32]string{unsigned.content: pdftest.FlateStream("/Type /ObjStm /N 0 /First 0", data)}})
	signed := newSignedBase(t, signPerson(t, p, prepared))
	forgedPage := signed.update(t, pdftest.Update{Objects: map[uint32]string{unsigned.content: pdftest.FlateStream("/Type /ObjStm /N 0 /First 0", []byte(forged))}})
	pdftest.CrossCheck(t, forgedPage)
	sig := verifyBytes(t, p, forgedPage).Signatures[0]
	if sig.Valid() || !hasRule(sig.Changes, rulePageContent.id) {
		t.Errorf("rewritten page content must be refused: %v", sig.Changes)
	}
}
