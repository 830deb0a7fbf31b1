package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"edms/internal/agent"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/signing/remote/cscfake"
	"edms/internal/testenv"
)

// openDocument signs in and opens the document, waiting for its signing choice.
func openSigningPage(t *testing.T, base, username string, id int64) context.Context {
	t.Helper()
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login")); err != nil { // starts the browser: no timeout on this first call
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancel)
	signIn(t, ctx, base, username)
	err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", base, id)), chromedp.WaitVisible(chromedp.CSS(`.personal-sign`)))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// elementText is the visible text of the element.
func elementText(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	return browse(t, ctx, chromedp.Text(chromedp.CSS(selector)))
}

// checkSignedPDF runs pdfsig on the document's newest PDF and edms's verifier: the
// one new signature is valid, by signer.
func checkSignedPDF(t *testing.T, w *signingWorld, id int64, signer string) {
	t.Helper()
	pdfsig := testenv.LookTool(t, "pdfsig")
	path := filepath.Join(t.TempDir(), "signed.pdf")
	must(t, os.WriteFile(path, latestPDF(t, w.pool, id), 0o644))
	out, err := exec.Command(pdfsig, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") || !strings.Contains(string(out), signer) {
		t.Errorf("pdfsig: %v\n%s", err, out)
	}
	report := verifyLatest(t, w, id)
	last := report.Signatures[len(report.Signatures)-1]
	if !last.Valid() || last.Signer != signer {
		t.Errorf("edms's verifier: %+v", last)
	}
}

// TestChairmanSignsRemotelyInChromium: the chairman chooses "Ký số từ xa", confirms
// with a wrong PIN (refused, attempts left, the document unchanged), then with his
// PIN and the OTP the fake provider "sent"; the document is signed, labelled as signed
// remotely, and pdfsig and edms's verifier accept the signature.
func TestChairmanSignsRemotelyInChromium(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	id := w.waitingDocument()
	before := w.state(id)
	ctx := openSigningPage(t, ts.URL, demo.RemoteSigner, id)
	saveScreenshot(t, "personal-sign-choice.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	if choice := elementText(t, ctx, `.personal-sign`); !strings.Contains(choice, "Khóa do máy chủ giữ (chỉ dùng cho bản trình diễn)") ||
		!strings.Contains(choice, "Ký bằng USB token") {
		t.Errorf("the signing choice reads %q", choice)
	}
	startRemoteInChromium(t, ctx)
	if subject := elementText(t, ctx, `.sign-subject`); !strings.Contains(subject, "Nguyễn Văn Nghĩa") {
		t.Errorf("the confirmation names the certificate %q", subject)
	}
	if sent := elementText(t, ctx, `.otp-sent`); !strings.Contains(sent, "Mã OTP đã được gửi") {
		t.Errorf("the confirmation says %q about the OTP", sent)
	}
	otp := w.personal.Provider.LastOTP(cscfake.CredentialID(demo.RemoteSigner))
	if otp == "" {
		t.Fatal("the provider sent no OTP")
	}
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=pin]`), "999999"),
		chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), otp),
		click(chromedp.CSS(`form.sign-confirm-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sign-error`)),
	)
	must(t, err)
	if msg := elementText(t, ctx, `.sign-error`); msg != "Mã PIN không đúng. Còn 2 lần thử." {
		t.Errorf("wrong PIN: %q", msg)
	}
	if after := w.state(id); after != before {
		t.Errorf("a wrong PIN changed the document: %s, was %s", after, before)
	}
	saveScreenshot(t, "personal-sign-wrong-pin.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=pin]`), demo.SigningPIN),
		chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), otp),
		click(chromedp.CSS(`form.sign-confirm-form button[type=submit]`)),
	)
	must(t, err)
	waitText(t, ctx, `.state`, "Đã ký, chờ cấp số")
	if flash := elementText(t, ctx, `.flash`); !strings.Contains(flash, "Đã ký số") {
		t.Errorf("flash %q", flash)
	}
	if devices := elementText(t, ctx, `.signature-devices`); !strings.Contains(devices, "Ký số từ xa") {
		t.Errorf("the signatures panel says %q", devices)
	}
	saveScreenshot(t, "personal-sign-remote-signed.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	checkSignedPDF(t, w, id, "Nguyễn Văn Nghĩa")
}

// startRemoteInChromium chooses "Ký số từ xa" with a competence and waits for the
// confirmation page.
func startRemoteInChromium(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.sign-remote input[name=competence]`), "TM. ỦY BAN NHÂN DÂN"),
		click(chromedp.CSS(`form.sign-remote button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.sign-confirm-form`)),
	))
}

// TestRemoteAttemptExpiresInChromium: the chairman leaves the confirmation page
// open past the attempt's ten minutes; his right PIN and OTP are then refused with
// the expiry's sentence, and the document is unchanged.
func TestRemoteAttemptExpiresInChromium(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	id := w.waitingDocument()
	before, beforeFile := w.state(id), latestMainFile(t, w.pool, id).ID
	ctx := openSigningPage(t, ts.URL, demo.RemoteSigner, id)
	startRemoteInChromium(t, ctx)
	w.skew.Store(int64(docs.PendingSignatureTTL + time.Minute))
	otp := w.personal.Provider.LastOTP(cscfake.CredentialID(demo.RemoteSigner))
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=pin]`), demo.SigningPIN),
		chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), otp),
		click(chromedp.CSS(`form.sign-confirm-form button[type=submit]`)),
	))
	waitText(t, ctx, `.flash`, "Phiên ký đã hết hạn (quá 10 phút); hãy ký lại.")
	if after, afterFile := w.state(id), latestMainFile(t, w.pool, id).ID; after != before || afterFile != beforeFile {
		t.Errorf("an expired attempt changed the document: %s (file %d), was %s (file %d)", after, afterFile, before, beforeFile)
	}
	saveScreenshot(t, "personal-sign-expired.png", browse(t, ctx, chromedp.FullScreenshot(100)))
}

// TestLeaderSignsWithAgentInChromium: edms agent runs with the SoftHSM2 token holding
// the vice chairman's key, paired with the node. The chairman cannot sign with that
// token (another person's certificate: refused, the document unchanged); the vice
// chairman signs, typing the token PIN in the agent's own window, and the document is
// signed, labelled "USB token", and valid for pdfsig and edms's verifier.
func TestLeaderSignsWithAgentInChromium(t *testing.T) {
	w := newSigningWorld(t)
	if w.personal.Token == nil {
		testenv.Missing(t, "SoftHSM2 (softhsm2-util and "+demo.SoftHSMModule+") for the agent's token")
	}
	agentListener, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	w.agentURL = "http://" + agentListener.Addr().String()
	ts, _ := w.server()
	token := agent.Token{Module: w.personal.Token.Module, Label: w.personal.Token.Label}
	agentServer := httptest.NewUnstartedServer(agent.New(token, agent.Pairings{Fixed: []string{ts.URL}}, "test").Handler())
	agentServer.Listener.Close()
	agentServer.Listener = agentListener
	agentServer.Start()
	t.Cleanup(agentServer.Close)
	id := w.waitingDocument()
	before := w.state(id)

	ctx := openSigningPage(t, ts.URL, demo.RemoteSigner, id)
	signWithAgent(t, ctx)
	waitText(t, ctx, `form.sign-agent .sign-status`, "Chứng thư số này không phải của Nguyễn Văn Nghĩa. Văn bản không thay đổi.")
	if after := w.state(id); after != before {
		t.Errorf("another person's certificate changed the document: %s, was %s", after, before)
	}
	saveScreenshot(t, "personal-sign-agent-other-person.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	ctx = openSigningPage(t, ts.URL, demo.AgentSigner, id)
	popups := chromedp.WaitNewTarget(ctx, func(*target.Info) bool { return true })
	signWithAgent(t, ctx)
	var popupID target.ID
	select {
	case popupID = <-popups:
	case <-ctx.Done():
		t.Fatal("no confirm popup opened")
	}
	popup, cancelPopup := chromedp.NewContext(ctx, chromedp.WithTargetID(popupID))
	defer cancelPopup()
	must(t, chromedp.Do(popup, chromedp.WaitVisible(chromedp.CSS(`input[name=pin]`))))
	saveScreenshot(t, "personal-sign-agent-confirm.png", browse(t, popup, chromedp.FullScreenshot(100)))
	must(t, chromedp.Do(popup, chromedp.SendKeys(chromedp.CSS(`input[name=pin]`), w.personal.Token.PIN), chromedp.Click(chromedp.CSS(`button.sign`))))
	waitText(t, ctx, `.state`, "Đã ký, chờ cấp số")
	if devices := elementText(t, ctx, `.signature-devices`); !strings.Contains(devices, "USB token") {
		t.Errorf("the signatures panel says %q", devices)
	}
	saveScreenshot(t, "personal-sign-agent-signed.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	checkSignedPDF(t, w, id, "Hà Minh Quân")
}

// signWithAgent opens the USB token choice and starts signing.
func signWithAgent(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx,
		click(chromedp.CSS(`details.sign-way-agent summary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.sign-agent button[type=submit]`)),
		click(chromedp.CSS(`form.sign-agent button[type=submit]`)),
	)
	must(t, err)
}
