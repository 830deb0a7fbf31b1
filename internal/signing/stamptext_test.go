package signing

import (
	"strings"
	"testing"

	"edms/internal/testenv"
)

// TestIssueStampIsText checks that the stamp writes its number and date as text
// that pdftotext reads back, Vietnamese letters included, exactly once.
func TestIssueStampIsText(t *testing.T) {
	stamped := addIssueStamp(t, makePDF(t, 1, 0))
	path := writeTemp(t, "stamped.pdf", stamped)
	qpdfCheck(t, path)
	text := run(t, testenv.LookTool(t, "pdftotext"), "-layout", path, "-")
	for _, want := range []string{"Số: 12/QĐ-UBND", "Phú Lương, ngày 26 tháng 11 năm 2026"} {
		if n := strings.Count(text, want); n != 1 {
			t.Errorf("pdftotext finds %q %d times, want once:\n%s", want, n, text)
		}
	}
	render(t, renderDir(t), "stamp-text", stamped)
}
