package liaison

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/testenv"
)

// sharedSamples is the folder of official sample packages, outside the repository.
const sharedSamples = "../../../shared/interop/edxml"

func sampleFiles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedSamples, "*.edxml"))
	if len(files) == 0 {
		testenv.Missing(t, "shared edXML samples not found in "+sharedSamples)
	}
	return files
}

func readSample(t *testing.T, name string) *Package {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedSamples, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkg, err := Read(f, Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, w := range pkg.Warnings {
		if !strings.HasPrefix(w.Path, "/edXML/") {
			t.Errorf("%s: warning not located by an element path: %v", name, w)
		}
	}
	return pkg
}

func hasWarning(pkg *Package, pathSuffix, rule string) bool {
	for _, w := range pkg.Warnings {
		if strings.HasSuffix(w.Path, pathSuffix) && w.Rule == rule {
			return true
		}
	}
	return false
}

func TestSharedSamples(t *testing.T) {
	if len(sampleFiles(t)) != 14 {
		t.Fatalf("expected the 14 shared samples, found %d", len(sampleFiles(t)))
	}
	documents := []struct {
		file     string
		from     string
		to       []string
		business BusinessType
		date     string
	}{
		{"edoc_new.edxml", "000.00.00.A80", []string{"28.22.H17"}, BusinessNew, "2019/01/16"},
		{"edoc_revocation.edxml", "000.00.00.G22", []string{"000.00.00.H41", "000.00.00.H14", "000.00.00.G17"}, BusinessRevoke, "2018/09/28"},
		{"edoc_update.edxml", "000.00.00.G22", []string{"000.00.00.H41", "000.00.00.H14", "000.00.00.G17"}, BusinessUpdate, "2018/09/28"},
		{"edoc_replacement.edxml", "000.00.00.G22", []string{"000.00.00.H41", "000.00.00.H14", "000.00.00.G17"}, BusinessReplace, "2018/09/28"},
	}
	for _, tc := range documents {
		t.Run(tc.file, func(t *testing.T) {
			pkg := readSample(t, tc.file)
			h := pkg.Header
			if pkg.Kind != KindDocument || h.From.OrganID != tc.from || pkg.Business == nil || pkg.Business.DocType != tc.business {
				t.Fatalf("kind %v from %q business %+v", pkg.Kind, h.From.OrganID, pkg.Business)
			}
			var to []string
			for _, o := range h.To {
				to = append(to, o.OrganID)
			}
			if strings.Join(to, " ") != strings.Join(tc.to, " ") {
				t.Errorf("To = %v, want %v", to, tc.to)
			}
			if h.Code.Notation != "VPCP-TTĐT" || h.DocumentType.TypeName != "Công văn" || h.PromulgationDate.String() != tc.date {
				t.Errorf("code %+v type %+v date %s", h.Code, h.DocumentType, h.PromulgationDate)
			}
			if len(pkg.Attachments) != 1 || len(pkg.Manifest) != 1 {
				t.Fatalf("attachments %d manifest %d", len(pkg.Attachments), len(pkg.Manifest))
			}
			att := pkg.Attachments[0]
			if att.ContentID != "209" || att.Name != "1896_QD-TTg_m_294779.doc" || att.ContentType != "application/zip" || sniffFamily(att.head) != familyZip || att.Size == 0 {
				t.Errorf("attachment %+v (%s)", att.AttachmentMeta, sniffFamily(att.head))
			}
			if pkg.Signature.State != SignaturePlaceholder || !hasWarning(pkg, "/edXML/edXMLEnvelope/edXMLHeader/Signature", RuleSignature) {
				t.Errorf("signature %v, warnings %v", pkg.Signature.State, pkg.Warnings)
			}
		})
	}
	t.Run("edoc_new warnings", func(t *testing.T) {
		pkg := readSample(t, "edoc_new.edxml")
		if !hasWarning(pkg, "/To/OrganId", RuleOrganID) {
			t.Errorf("no organ-id warning for 28.22.H17: %v", pkg.Warnings)
		}
		if !hasWarning(pkg, "/MessageHeader/DocumentId", RuleDocumentID) {
			t.Errorf("no DocumentId warning: %v", pkg.Warnings)
		}
		if pkg.Header.Code.Number != "74fass22" || pkg.Header.DocumentID != "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" {
			t.Errorf("code %+v id %s", pkg.Header.Code, pkg.Header.DocumentID)
		}
	})
	t.Run("edoc_new zipped attachment", func(t *testing.T) {
		f, err := os.Open(filepath.Join(sharedSamples, "edoc_new.edxml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		pkg, err := Read(f, Options{Sink: NewDirSink(t.TempDir())})
		if err != nil {
			t.Fatal(err)
		}
		if len(pkg.Attachments) != 2 || pkg.Attachments[1].FromArchive != "209" || !strings.HasSuffix(pkg.Attachments[1].Name, ".edxml") ||
			pkg.Attachments[1].ContentType != "application/xml" || !hasWarning(pkg, "Attachment/ContentTransferEncoded", RuleArchive) {
			t.Errorf("attachments %+v, warnings %v", pkg.Attachments, pkg.Warnings)
		}
	})
	t.Run("edoc_update parts", func(t *testing.T) {
		b := readSample(t, "edoc_update.edxml").Business
		if b.DocumentInfo == nil || b.DocumentInfo.DocumentReceiver != 1 || len(b.DocumentInfo.Receivers) != 2 || b.DocumentInfo.Receivers[1].OrganID != "000.00.00.H14" {
			t.Errorf("update info %+v", b.DocumentInfo)
		}
	})
	t.Run("edoc_replacement parts", func(t *testing.T) {
		b := readSample(t, "edoc_replacement.edxml").Business
		if len(b.Replacements) != 2 || len(b.Replacements[0].OrganIDs) != 2 || b.Replacements[0].DocumentID != "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT" {
			t.Errorf("replacements %+v", b.Replacements)
		}
	})
	const vpcp, ngheAn = "000.00.00.G22", "000.00.00.H41"
	statuses := []struct{ file, code, from, answered string }{
		{"status.edxml", "01", ngheAn, vpcp}, {"status_inbox_01.edxml", "01", ngheAn, vpcp},
		{"status_rejection_02.edxml", "02", ngheAn, vpcp}, {"status_acceptance_03.edxml", "03", ngheAn, vpcp},
		{"status_assignment_04.edxml", "04", ngheAn, vpcp}, {"status_processing_05.edxml", "05", ngheAn, vpcp},
		{"status_finish_06.edxml", "06", ngheAn, vpcp},
		// the sender of the document asks the recipient to give it back
		{"status_cancellation_13.edxml", "13", vpcp, ngheAn},
		{"status_change-acceptance_15.edxml", "15", ngheAn, vpcp}, {"status_change-rejection_16.edxml", "16", ngheAn, vpcp},
	}
	for _, tc := range statuses {
		t.Run(tc.file, func(t *testing.T) {
			pkg := readSample(t, tc.file)
			s := pkg.Status
			if pkg.Kind != KindStatus || s.StatusCode != tc.code || s.From.OrganID != tc.from || s.ResponseFor.OrganID != tc.answered {
				t.Fatalf("kind %v status %+v", pkg.Kind, s)
			}
			if s.ResponseFor.DocumentID != "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" || s.Timestamp.IsZero() || s.Staff.Mobile != "84912000001" {
				t.Errorf("status %+v", s)
			}
		})
	}
}

// TestCanonicalizationMatchesLibxml2 compares the streaming exclusive c14n digest of
// every sample with xmllint's.
func TestCanonicalizationMatchesLibxml2(t *testing.T) {
	xmllint := testenv.LookTool(t, "xmllint")
	for _, file := range sampleFiles(t) {
		want, err := exec.Command(xmllint, "--exc-c14n", file).Output()
		if err != nil {
			t.Fatalf("%s: xmllint: %v", file, err)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sr := newStreamReader(f, Options{Limits: DefaultLimits(), Sink: DiscardSink{}})
		err = sr.run()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if sum := sha256.Sum256(want); string(sum[:]) != string(sr.sig.documentDigest) {
			t.Errorf("%s: canonical digest differs from xmllint --exc-c14n", filepath.Base(file))
		}
	}
}
