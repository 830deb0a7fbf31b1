package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"edms/internal/testenv"
)

// BenchmarkComposeLongestTypedContent lays out 128 KiB of typed Vietnamese text, the
// most the draft form accepts (16 MB took 5.6 s and 300 MB before it was bounded).
func BenchmarkComposeLongestTypedContent(b *testing.B) {
	paragraph := "Ủy ban nhân dân huyện Phú Lương đề nghị các xã, thị trấn báo cáo kết quả thực hiện kế hoạch chuyển đổi số năm 2026.\n\n"
	body := strings.Repeat(paragraph, (128<<10)/len(paragraph))
	t, _ := LookupType(TypeCongVan)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ComposePDF(ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: t, Subject: "Báo cáo", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// layoutText is the text of a PDF as pdftotext -layout reads it, lines trimmed.
func layoutText(t *testing.T, pdf []byte) []string {
	t.Helper()
	pdftotext := testenv.LookTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "composed.pdf")
	must(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	must(t, err)
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestComposedCongVanFollowsTheForm: "V/v" once under the number, "Kính gửi:" with the
// recipients, and the signer's authority, position and name each on a line of its own.
func TestComposedCongVanFollowsTheForm(t *testing.T) {
	t.Parallel()
	congVan, _ := LookupType(TypeCongVan)
	pdf, err := ComposePDF(ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: congVan,
		Subject: "V/v báo cáo chuyển đổi số", Body: "Đề nghị các xã báo cáo.",
		ToPlaces: []string{"Ủy ban nhân dân xã Yên Ninh", "Ủy ban nhân dân thị trấn Đu"},
		Signer:   SignerInfo{Competence: "KT. Chủ tịch", Position: "Phó Chủ tịch", FullName: "Hà Minh Quân"}})
	must(t, err)
	lines := layoutText(t, pdf)
	text := strings.Join(lines, "\n")
	if strings.Count(text, "V/v") != 1 || !strings.Contains(text, "V/v báo cáo chuyển đổi số") {
		t.Errorf("the subject line is not printed once as «V/v báo cáo chuyển đổi số»:\n%s", text)
	}
	for _, want := range []string{"Kính gửi:", "- Ủy ban nhân dân xã Yên Ninh;", "- Ủy ban nhân dân thị trấn Đu.", "- Như trên;"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hà Minh Quân"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, want) }) {
			t.Errorf("no line ends with %q (each part of the signer's block stands on its own line):\n%s", want, text)
		}
	}
}
