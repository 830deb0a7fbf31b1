package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReceiveFormKeepsWhatWasTyped: a clerk's paper-document form refused for an
// impossible date comes back with everything typed and the message, not an empty form.
func TestReceiveFormKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	clerk := newBrowser(t, ts.URL)
	_, home := clerk.login("vanthu.huyen", demoPassword)
	form := withFiles(map[string]string{"csrf_token": csrfField.FindStringSubmatch(home)[1], "type": "cong_van",
		"subject": "Công văn giấy gửi nhầm số", "code_number": "12", "code_notation": "UBND-VP", "issued_date": "2026-13-45",
		"issuer_name": "UBND xã Yên Ninh", "signer_name": "Nguyễn Văn Bình", "page_count": "2", "request_key": "r1"}, minimalPDF)
	contentType, body := form.encode()
	resp, err := clerk.client.Post(ts.URL+"/documents/receive", contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refused receive form: %d, want 422\n%s", resp.StatusCode, page)
	}
	for _, kept := range []string{"Công văn giấy gửi nhầm số", `value="UBND-VP"`, `value="UBND xã Yên Ninh"`, `value="Nguyễn Văn Bình"`, "Hãy chọn lại tệp."} {
		if !strings.Contains(string(page), kept) {
			t.Errorf("the form came back without %q", kept)
		}
	}
}
