package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"edms/internal/testenv/chromium"
)

// newChromium starts headless Chromium for the test.
func newChromium(t *testing.T) context.Context { return chromium.New(t, 1280, 900) }

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
		click(chromedp.CSS(`button[type=submit]`)),
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
		click(chromedp.CSS(`button.link`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if title := browse(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Đăng nhập") {
		t.Errorf("after sign-out the page is %q", title)
	}
}

// waitText waits until the element's text is want (the page after a form post).
func waitText(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	js := fmt.Sprintf(`(document.querySelector(%q) || {}).innerText === %q`, selector, want)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never read %q", selector, want)
		case <-time.After(50 * time.Millisecond):
		}
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

// signIn opens the sign-in page and signs in as username.
func signIn(t *testing.T, ctx context.Context, base, username string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), demoPassword),
		click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.agency`)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestDraftAndSubmitInChromium drafts an outgoing document through the form (with a
// PDF upload), submits it for review, and reads the result on the document page.
func TestDraftAndSubmitInChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	pdfPath := filepath.Join(t.TempDir(), "du-thao.pdf")
	if err := os.WriteFile(pdfPath, []byte(minimalPDF), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	signIn(t, ctx, ts.URL, "chuyenvien.tckh")

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/documents/new"),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=subject]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=type]`), "ke_hoach"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=subject]`), "Kế hoạch kiểm tra công tác văn thư, lưu trữ năm 2027"),
		chromedp.SendKeys(chromedp.CSS(`input[name=place]`), "Phú Lương"),
		chromedp.SetValue(chromedp.CSS(`select[name=recipients]`), "000.03.09.H56"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{pdfPath}),
	)
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "draft-form.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx,
		click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); h != "Kế hoạch" {
		t.Errorf("document heading %q", h)
	}
	if state := browse(t, ctx, chromedp.Text(chromedp.CSS(`.state`))); state != "Dự thảo" {
		t.Errorf("state %q", state)
	}
	if err := chromedp.Do(ctx, click(chromedp.CSS(`form.action button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Chờ lãnh đạo đơn vị duyệt")
	saveScreenshot(t, "document.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/documents?q=ke+hoach+van+thu"), chromedp.WaitVisible(chromedp.CSS(`table.docs`)))
	if err != nil {
		t.Fatal(err)
	}
	if rows := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.docs tbody`))); !strings.Contains(rows, "Kế hoạch kiểm tra công tác văn thư") {
		t.Errorf("accent-insensitive search did not find the draft: %q", rows)
	}
	saveScreenshot(t, "search.png", browse(t, ctx, chromedp.FullScreenshot(100)))
}

// TestChairmanSignsInChromium: in the demo as `edms demo` seeds it, the chairman opens
// the letter waiting for his signature, signs it, and the page shows his digital
// signature checked valid and trusted.
func TestChairmanSignsInChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newSigningDemoServer(t)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	signIn(t, ctx, ts.URL, "chutich.huyen")
	saveScreenshot(t, "home-chairman.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/documents?direction=outgoing"),
		chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "outgoing.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx,
		click(chromedp.Search(`//a[contains(., "Đôn đốc thu ngân sách")]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.action`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Chờ ký")
	// The first step offered to the chairman in "Chờ ký" is returning; signing is next,
	// after the confirmation the page asks (answered yes here).
	acceptConfirmations(t, ctx)
	err = chromedp.Do(ctx, click(chromedp.Search(`//button[contains(., "Ký ban hành")]`)))
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã ký, chờ cấp số")
	result := browse(t, ctx, chromedp.Text(chromedp.CSS(`.badge.green`)))
	if result != "Hợp lệ, tin cậy" {
		t.Errorf("signature check reads %q", result)
	}
	saveScreenshot(t, "signed.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	// The issued plan carries the number stamp and the agency's signature after his: the
	// page names each permitted change by its rule, in Vietnamese.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/documents?direction=outgoing"),
		click(chromedp.Search(`//a[contains(., "Kiểm tra công tác văn thư")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.badge.green`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	page := browse(t, ctx, chromedp.Evaluate[string](`document.body.innerText`))
	for _, want := range []string{"Thay đổi được phép sau khi ký: hệ thống ghi số, ngày ban hành", "Thay đổi được phép sau khi ký: thêm trường chữ ký số mới"} {
		if !strings.Contains(page, want) {
			t.Errorf("the issued plan's page lacks %q", want)
		}
	}

	// The province's decision waits for his assignment: the form offers the units.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/documents?direction=incoming"),
		click(chromedp.Search(`//a[contains(., "Giao chỉ tiêu chuyển đổi số")]`)),
		chromedp.WaitVisible(chromedp.CSS(`select[name=lead_unit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	units := browse(t, ctx, chromedp.Text(chromedp.CSS(`select[name=lead_unit]`)))
	if !strings.Contains(units, "Phòng Tài chính - Kế hoạch") {
		t.Errorf("lead unit choices: %q", units)
	}
	saveScreenshot(t, "assign.png", browse(t, ctx, chromedp.FullScreenshot(100)))
}

// refusalHeadings are the headings of the error page (templates/error.html): a
// document or page one may not see is not found (404), a forbidden page is refused
// (403), anything else could not be done.
var refusalHeadings = []string{"Không tìm thấy", "Không có quyền truy cập", "Không thực hiện được"}

// isRefusal tells whether a page heading is the error page's.
func isRefusal(heading string) bool {
	return slices.Contains(refusalHeadings, strings.TrimSpace(heading))
}

// acceptConfirmations answers yes to the questions the current page asks before a
// dangerous step (sign, recall, delete); a navigation forgets it.
func acceptConfirmations(t *testing.T, ctx context.Context) {
	t.Helper()
	browse(t, ctx, chromedp.Evaluate[bool](`(() => { window.confirm = () => true; return true; })()`))
}

// click is chromedp.Click through retryReplaced: on a loaded machine a page may
// still be settling when the next step starts, and a repeated attempt never clicks twice.
func click[S chromedp.Selectable](sel S, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return retryReplaced(chromedp.Click(sel, opts...))
}

// retryReplaced runs an action on a node again when the node it found was replaced
// before it acted (a page still settling on a loaded machine): chromedp reports "node
// with given id" while resolving the node, before any key or mouse event is sent.
func retryReplaced(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		var err error
		for range 5 {
			if _, err = a(ctx, target); err == nil || !strings.Contains(err.Error(), "node with given id") {
				return chromedp.Void{}, err
			}
			time.Sleep(200 * time.Millisecond)
		}
		return chromedp.Void{}, err
	}
}
