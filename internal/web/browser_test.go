package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"edms/internal/testenv"
)

// newChromium starts headless Chromium with the flags this sandboxed machine needs.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path := testenv.LookTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// browse runs one value-returning browser action, failing the test on error.
func browse[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSignInWithChromium signs in to the demo network through a real browser, reads
// the home page and signs out. Screenshots go to EDMS_SCREENSHOT_DIR when it is set.
func TestSignInWithChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil { // starts the browser: no timeout on this first call
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`input[name=username]`))); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "login.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "vanthu.huyen"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), demoPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.agency`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if heading := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); heading != "Xin chào, Nguyễn Thị Hoa" {
		t.Errorf("heading = %q", heading)
	}
	if agency := browse(t, ctx, chromedp.Text(chromedp.CSS(`.agency`))); !strings.Contains(agency, "Ủy ban nhân dân huyện Phú Lương") {
		t.Errorf("agency = %q", agency)
	}
	can := browse(t, ctx, chromedp.Text(chromedp.CSS(`.can`)))
	if !strings.Contains(can, "Vào sổ văn bản đến") || strings.Contains(can, "Ký số văn bản (người có thẩm quyền)") {
		t.Errorf("a clerk's permissions read %q", can)
	}
	saveScreenshot(t, "home.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button.link`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if title := browse(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Đăng nhập") {
		t.Errorf("after sign-out the page is %q", title)
	}
}

func saveScreenshot(t *testing.T, name string, data []byte) {
	dir := os.Getenv("EDMS_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Error(err)
	}
}
