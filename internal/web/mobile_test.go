package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The widths the layout is proven at: a phone (390×844), a tablet (768×1024) and a
// laptop (1366×768).
const (
	phoneWidth, phoneHeight     = 390, 844
	tabletWidth, tabletHeight   = 768, 1024
	desktopWidth, desktopHeight = 1366, 768
)

// layoutUsers are the demo's users of each role with the first page each opens (the
// administrator lands on the administration) and the pages they reach outside the
// menu: their account, notifications, registers, the administration's tabs.
var layoutUsers = []struct {
	name, start string
	more        []string
}{
	{"vanthu.huyen", "/", []string{"/registers", "/notifications", "/account/password"}},
	{"chuyenvien.tckh", "/", []string{"/notifications"}},
	{"truongphong.tckh", "/", nil},
	{"chutich.huyen", "/", []string{"/dashboard", "/notifications"}},
	{"quantri.huyen", "/admin", []string{"/admin/agencies", "/admin/keys", "/admin/audit", "/account/password"}},
}

// overflowJS lists the elements that reach past the viewport's right edge when the
// page scrolls horizontally, so that a failure names the culprit.
const overflowJS = `(() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .slice(-5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).replace(/ /g, '.') : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
})()`

// smallControlsJS lists the visible controls shorter than a finger (44 px).
const smallControlsJS = `[...document.querySelectorAll('button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), .topbar nav a, .tabs > a')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
  .map(e => e.tagName.toLowerCase() + ' ' + (e.name || e.innerText || '').trim().slice(0, 30) + ' ' + Math.round(e.getBoundingClientRect().height) + 'px')`

// newSizedChromium starts Chromium with a viewport of width×height CSS pixels.
func newSizedChromium(t *testing.T, width, height int64) context.Context {
	t.Helper()
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil { // starts the browser: no timeout
		t.Fatal(err)
	}
	return ctx
}

// checkFits fails the test when the current page scrolls horizontally.
func checkFits(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	width := browse(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	viewport := browse(t, ctx, chromedp.Evaluate[int](`window.innerWidth`))
	if width > viewport {
		t.Errorf("%s is %d px wide in a %d px window; too wide: %v", page, width, viewport, browse(t, ctx, chromedp.Evaluate[[]string](overflowJS)))
	}
}

// checkTouchSized fails the test when a visible control is shorter than 44 px.
func checkTouchSized(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if small := browse(t, ctx, chromedp.Evaluate[[]string](smallControlsJS)); len(small) > 0 {
		t.Errorf("%s has controls under 44 px: %v", page, small)
	}
}

// visit opens path and checks it fits the phone's width with touch-sized controls.
func visitOnPhone(t *testing.T, ctx context.Context, base, path, user string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("%s (as %s)", path, user)
	checkFits(t, ctx, page)
	checkTouchSized(t, ctx, page)
	keepScreenshot(t, ctx, lookDir, "phone-"+user+strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(path)+".png", chromedp.FullScreenshot(100))
}

// openMenu checks the navigation is collapsed, opens it with the menu button and
// returns the links it offers.
func openMenu(t *testing.T, ctx context.Context) []string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`.topbar.collapsible`))); err != nil { // menu.js has run
		t.Fatal(err)
	}
	if browse(t, ctx, chromedp.Evaluate[bool](`document.querySelector('.topbar nav').offsetParent !== null`)) {
		t.Error("on a phone the navigation shows before the menu button is pressed")
	}
	err := chromedp.Do(ctx, click(chromedp.CSS(`.menu-toggle`)), chromedp.WaitVisible(chromedp.CSS(`.topbar nav a`)))
	if err != nil {
		t.Fatal(err)
	}
	if expanded := browse(t, ctx, chromedp.AttributeValue(chromedp.CSS(`.menu-toggle`), "aria-expanded")).Value; expanded != "true" {
		t.Errorf("the open menu's button has aria-expanded=%q", expanded)
	}
	return browse(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.topbar nav a')].map(a => a.getAttribute('href'))`))
}

// firstDocument is the address of the first document a list page shows, or "".
func firstDocument(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browse(t, ctx, chromedp.Evaluate[string](`(document.querySelector('table.docs td a') || {getAttribute: () => ''}).getAttribute('href')`))
}

// actOnPhone opens the document titled subject from the list at listPath, fills the
// form with fill and presses the button labelled label, then waits for the state.
func actOnPhone(t *testing.T, ctx context.Context, base, listPath, subject, label, state string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	button := fmt.Sprintf(`//form[contains(@class, "action")][.//button[normalize-space(.) = %q]]`, label)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+listPath),
		click(chromedp.Search(fmt.Sprintf(`//a[contains(., %q)]`, subject))),
		chromedp.WaitVisible(chromedp.Search(button+`//button`)),
	)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	checkFits(t, ctx, "the document "+subject)
	checkTouchSized(t, ctx, "the document "+subject)
	acceptConfirmations(t, ctx) // signing asks first; an unanswered dialog would hold the page
	for _, action := range fill {
		if err := chromedp.Do(ctx, retryReplaced(action)); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
	}
	if err := chromedp.Do(ctx, click(chromedp.Search(button+`//button`))); err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	waitText(t, ctx, `.state`, state)
}

// focusedJS describes the focused element: its class and whether its outline shows.
const focusedJS = `document.activeElement.className + (getComputedStyle(document.activeElement).outlineStyle === 'none' ? ' without outline' : '')`

// checkKeyboardMenu uses the page from the keyboard alone: the first Tab reaches the
// skip link, Enter on the menu button opens the menu and Escape closes it again.
func checkKeyboardMenu(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if focused := browse(t, ctx, chromedp.Evaluate[string](focusedJS)); focused != "skip" {
		t.Errorf("the first Tab focuses %q, not the visible skip link", focused)
	}
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`.menu-toggle`)), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if expanded := browse(t, ctx, chromedp.AttributeValue(chromedp.CSS(`.menu-toggle`), "aria-expanded")).Value; expanded != "true" {
		t.Errorf("Enter on the menu button leaves aria-expanded=%q", expanded)
	}
	if !browse(t, ctx, chromedp.Evaluate[bool](`document.querySelector('.topbar nav').offsetParent !== null`)) {
		t.Error("Enter on the menu button does not show the navigation")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	if expanded := browse(t, ctx, chromedp.AttributeValue(chromedp.CSS(`.menu-toggle`), "aria-expanded")).Value; expanded != "false" {
		t.Errorf("Escape leaves the menu's aria-expanded=%q", expanded)
	}
	if focused := browse(t, ctx, chromedp.Evaluate[string](focusedJS)); focused != "menu-toggle" {
		t.Errorf("after Escape the focus is on %q, not the menu button with its outline", focused)
	}
}

// signInOnPhone signs in as user and waits for the page the server sends next.
func signInOnPhone(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), demoPassword),
		click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`header.topbar`)), // the administrator lands on a form with a password
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
}

// signOutOnPhone signs out through the menu.
func signOutOnPhone(t *testing.T, ctx context.Context) {
	t.Helper()
	openMenu(t, ctx)
	err := chromedp.Do(ctx, click(chromedp.CSS(`.who button.link`)), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	if err != nil {
		t.Fatal(err)
	}
}

// TestPhoneLayoutInChromium visits, at 390×844, every page each demo role reaches
// from the menu (and the first document of each list, the sign-in and error pages):
// none scrolls sideways and every control is touch-sized. Then the leaders approve,
// submit for signature, return, sign and assign from the phone.
func TestPhoneLayoutInChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newSigningDemoServer(t)
	ctx := newSizedChromium(t, phoneWidth, phoneHeight)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // a guard against a hang, not a timing check
	defer cancel()

	visitOnPhone(t, ctx, ts.URL, "/login", "guest")
	signInOnPhone(t, ctx, ts.URL, "vanthu.huyen")
	checkKeyboardMenu(t, ctx)
	for _, user := range layoutUsers {
		signInOnPhone(t, ctx, ts.URL, user.name)
		visitOnPhone(t, ctx, ts.URL, user.start, user.name)
		links := openMenu(t, ctx)
		if len(links) < 2 {
			t.Errorf("the menu of %s offers %v", user.name, links)
		}
		keepScreenshot(t, ctx, lookDir, "phone-menu-"+user.name+".png", chromedp.CaptureScreenshot())
		for _, link := range append(links, user.more...) {
			visitOnPhone(t, ctx, ts.URL, link, user.name)
			if doc := firstDocument(t, ctx); doc != "" {
				visitOnPhone(t, ctx, ts.URL, doc, user.name)
			}
		}
		signOutOnPhone(t, ctx)
	}
	signIn(t, ctx, ts.URL, "vanthu.huyen")
	visitOnPhone(t, ctx, ts.URL, "/documents/999999999", "vanthu.huyen")
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); h != "Không tìm thấy" {
		t.Errorf("the missing document's page reads %q", h)
	}
	visitOnPhone(t, ctx, ts.URL, "/", "vanthu.huyen")
	signOutOnPhone(t, ctx)

	const report, letter, decision = "Tình hình thực hiện dự toán", "Đôn đốc thu ngân sách", "Giao chỉ tiêu chuyển đổi số"
	signIn(t, ctx, ts.URL, "truongphong.tckh")
	actOnPhone(t, ctx, ts.URL, "/documents?direction=outgoing", report, "Duyệt", "Đã duyệt")
	actOnPhone(t, ctx, ts.URL, "/documents?direction=outgoing", report, "Trình ký", "Chờ ký")
	signOutOnPhone(t, ctx)

	signIn(t, ctx, ts.URL, "chutich.huyen")
	returnForm := `//form[contains(@class, "action")][.//button[normalize-space(.) = "Trả lại để sửa"]]`
	actOnPhone(t, ctx, ts.URL, "/documents?direction=outgoing", report, "Trả lại để sửa", "Bị trả lại để sửa",
		chromedp.SendKeys(chromedp.Search(returnForm+`//textarea[@name="note"]`), "Đề nghị bổ sung số liệu tháng 11."))
	actOnPhone(t, ctx, ts.URL, "/documents?direction=outgoing", letter, "Ký ban hành", "Đã ký, chờ cấp số")
	checkFits(t, ctx, "the signed letter")
	keepScreenshot(t, ctx, lookDir, "phone-signed.png", chromedp.FullScreenshot(100))
	deadline := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	actOnPhone(t, ctx, ts.URL, "/documents?direction=incoming", decision, "Phân công xử lý", "Đã phân công",
		chromedp.SetValue(chromedp.CSS(`select[name=lead_unit]`), "TCKH"),
		chromedp.SetValue(chromedp.CSS(`input[name=lead_deadline]`), deadline))
	checkFits(t, ctx, "the assigned decision")
}

// TestDesktopLayoutInChromium checks at 1366×768 that the phone layout left the
// desktop alone: the navigation shows without a menu button, tables keep their
// header row, the document page keeps two columns, nothing scrolls sideways; then
// the same pages fit at 200 % zoom and on a tablet.
// With EDMS_README_SCREENSHOTS=<dir> it writes the README's screenshots there
// (`make screenshots`).
func TestDesktopLayoutInChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newSigningDemoServer(t)
	ctx := newSizedChromium(t, desktopWidth, desktopHeight)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a guard against a hang, not a timing check
	defer cancel()

	signIn(t, ctx, ts.URL, "chutich.huyen")
	checkDesktopPage(t, ctx, "home")
	keepScreenshot(t, ctx, readmeDir, "home.png", chromedp.FullScreenshot(100))

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/documents?direction=outgoing"),
		chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	checkDesktopPage(t, ctx, "the outgoing list")
	if display := browse(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('table.docs thead')).display`)); display != "table-header-group" {
		t.Errorf("on a desktop the list's header row displays as %q", display)
	}

	err = chromedp.Do(ctx,
		click(chromedp.Search(`//a[contains(., "Kiểm tra công tác văn thư")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.badge.green`)),
		chromedp.WaitVisible(chromedp.CSS(`#viewer-canvas[data-rendered]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	checkDesktopPage(t, ctx, "the issued plan")
	plan := browse(t, ctx, chromedp.Location())
	columns := browse(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.columns')).gridTemplateColumns`))
	if len(strings.Fields(columns)) != 2 {
		t.Errorf("on a desktop the document page's columns are %q", columns)
	}
	// The README shows the top of the page, the PDF in the viewer beside its signatures
	// (the whole page would pass 300 KB).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, 1100)); err != nil {
		t.Fatal(err)
	}
	keepScreenshot(t, ctx, readmeDir, "document.png", chromedp.CaptureScreenshot())
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight)); err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`.chart svg`)))
	if err != nil {
		t.Fatal(err)
	}
	checkDesktopPage(t, ctx, "dashboard")
	keepScreenshot(t, ctx, readmeDir, "dashboard.png", chromedp.FullScreenshot(100))

	// 200 % zoom halves the CSS viewport: the phone layout takes over and still fits.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(desktopWidth/2, desktopHeight/2),
		chromedp.Navigate(plan), chromedp.WaitVisible(chromedp.CSS(`.badge.green`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	checkFits(t, ctx, "the issued plan at 200 % zoom")
	if !browse(t, ctx, chromedp.Evaluate[bool](`document.querySelector('.menu-toggle').offsetParent !== null`)) {
		t.Error("at 200 % zoom the navigation does not collapse behind the menu button")
	}
	keepScreenshot(t, ctx, lookDir, "zoom-200-document.png", chromedp.FullScreenshot(100))

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	checkFits(t, ctx, "the issued plan on a phone")
	keepScreenshot(t, ctx, readmeDir, "document-phone.png", chromedp.CaptureScreenshot())

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(tabletWidth, tabletHeight)); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{plan, ts.URL + "/documents?direction=outgoing", ts.URL + "/dashboard"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
			t.Fatal(err)
		}
		checkFits(t, ctx, page+" on a tablet")
	}
}

// checkDesktopPage checks the page fits and shows its navigation without a menu button.
func checkDesktopPage(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	checkFits(t, ctx, page)
	if !browse(t, ctx, chromedp.Evaluate[bool](`document.querySelector('.topbar nav').offsetParent !== null`)) {
		t.Errorf("on a desktop %s hides the navigation", page)
	}
	if browse(t, ctx, chromedp.Evaluate[bool](`document.querySelector('.menu-toggle').offsetParent !== null`)) {
		t.Errorf("on a desktop %s shows the menu button", page)
	}
	keepScreenshot(t, ctx, lookDir, "desktop-"+strings.ReplaceAll(page, " ", "-")+".png", chromedp.FullScreenshot(100))
}

// Where the screenshots go: EDMS_SCREENSHOT_DIR for a look at every page,
// EDMS_README_SCREENSHOTS for the README's (`make screenshots`).
const (
	lookDir   = "EDMS_SCREENSHOT_DIR"
	readmeDir = "EDMS_README_SCREENSHOTS"
)

// keepScreenshot writes the PNG that shot takes into the directory the environment
// variable dirVar names; without it the screenshot is not taken at all, since on a
// loaded machine full-page captures are the slowest step of these tests.
func keepScreenshot(t *testing.T, ctx context.Context, dirVar, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv(dirVar)
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), browse(t, ctx, shot), 0o644); err != nil {
		t.Fatal(err)
	}
}
