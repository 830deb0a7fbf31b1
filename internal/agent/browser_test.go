package agent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"edms/internal/testenv"
	"edms/internal/testenv/chromium"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// newChromium starts headless Chromium for the test.
func newChromium(t *testing.T) context.Context { return chromium.New(t, 1024, 768) }

// edmsPage serves a tiny page that loads signagent.js, told where the agent is.
func edmsPage(t *testing.T, agentURL string) *httptest.Server {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("..", "web", "static", "signagent.js"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signagent.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(js)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>edms</title>
<script src="/signagent.js" data-agent-url="%s"></script></head><body><h1>Ký văn bản</h1></body></html>`, agentURL)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// saveScreenshot writes the page to EDMS_SCREENSHOT_DIR when it is set.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("EDMS_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Error(err)
	}
}

// outcome is how an EdmsAgent promise settled in the page.
type outcome struct {
	Value   map[string]any `json:"value"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
}

// settle runs an EdmsAgent call in the page and waits for its promise.
func settle(t *testing.T, ctx context.Context, call string) outcome {
	t.Helper()
	js := call + `.then(v => ({value: v}), e => ({code: e.code, message: e.message}))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[outcome](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	return out
}

// TestBrowserSign: a paired page calls EdmsAgent.sign; the person types the PIN in the
// agent's popup; the page receives a signature that verifies against the token's certificate.
func TestBrowserSign(t *testing.T) {
	token, cert, _ := softHSMToken(t, false)
	a := startAgent(t, token)
	page := edmsPage(t, a.ts.URL)
	a.pair(t, page.URL)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL+"/")); err != nil { // starts the browser: no timeout on this first call
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	found := settle(t, ctx, `EdmsAgent.find()`)
	if found.Code != "" || found.Value["version"] != "test" {
		t.Fatalf("find: %+v", found)
	}
	digest := sha256.Sum256([]byte("Quyết định 01/QĐ-UBND"))
	popups := chromedp.WaitNewTarget(ctx, func(*target.Info) bool { return true })
	// As an edms page does: the window opens with the click, sign() uses it after other requests.
	start := fmt.Sprintf(`window.signed = null; EdmsAgent.openWindow();
		EdmsAgent.certificate().then(() => EdmsAgent.sign({digest: %q, hash: "SHA-256", document: "Quyết định 01/QĐ-UBND — V/v phê duyệt kế hoạch"}))
		.then(v => { window.signed = {value: v}; }, e => { window.signed = {code: e.code, message: e.message}; }); true`,
		base64.StdEncoding.EncodeToString(digest[:]))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](start)); err != nil {
		t.Fatal(err)
	}
	var popupID target.ID
	select {
	case popupID = <-popups:
	case <-ctx.Done():
		t.Fatal("no confirm popup opened")
	}
	popup, cancelPopup := chromedp.NewContext(ctx, chromedp.WithTargetID(popupID))
	defer cancelPopup()
	if err := chromedp.Do(popup, chromedp.WaitVisible(chromedp.CSS(`input[name=pin]`))); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, popup, "agent-confirm.png")
	err := chromedp.Do(popup,
		chromedp.SendKeys(chromedp.CSS(`input[name=pin]`), testPIN),
		chromedp.Click(chromedp.CSS(`button.sign`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(ctx, chromedp.Poll[outcome](`window.signed`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Code != "" {
		t.Fatalf("sign rejected: %s %s", out.Code, out.Message)
	}
	sig, _ := out.Value["signature"].(string)
	verifySignature(t, cert, digest[:], sig)
}

// TestBrowserAgentMissing: with no agent running the page gets agent_missing and its
// Vietnamese message; with an agent that does not know the page, origin_not_paired.
func TestBrowserAgentMissing(t *testing.T) {
	a := startAgent(t, Token{Module: testenv.SoftHSMModule, Label: "khong-dung-den"})
	stopped := httptest.NewServer(http.NotFoundHandler())
	stopped.Close()
	page := edmsPage(t, stopped.URL)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL+"/")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	got := settle(t, ctx, `EdmsAgent.find()`)
	want := "Không tìm thấy phần mềm ký số edms agent trên máy này. Hãy cài đặt và chạy `edms agent`."
	if got.Code != "agent_missing" || got.Message != want {
		t.Errorf("agent stopped: %+v", got)
	}
	got = settle(t, ctx, fmt.Sprintf(`(EdmsAgent.url = %q, EdmsAgent.certificate())`, a.ts.URL))
	if got.Code != "origin_not_paired" || got.Message != errOriginNotPaired.Message {
		t.Errorf("unpaired page: %+v", got)
	}
}
