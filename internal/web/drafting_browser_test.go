package web_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"edms/internal/docs"
	"edms/internal/store"
	"edms/internal/testenv"
)

// do runs browser actions, failing the test on error.
func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		failed(t, ctx, err)
	}
}

// failed keeps a screenshot of the page and stops the test.
func failed(t *testing.T, ctx context.Context, err error) {
	t.Helper()
	if shot, serr := chromedp.Run(context.WithoutCancel(ctx), chromedp.FullScreenshot(100)); serr == nil {
		saveScreenshot(t, "failure.png", shot)
	}
	t.Fatal(err)
}

// clickStep submits the form of a lifecycle step on the document page, with a note.
// A step that asks for confirmation is confirmed (the question must be there).
func clickStep(t *testing.T, ctx context.Context, action, note, wantState string) {
	t.Helper()
	form := `form[action$="/` + action + `"]`
	question := browse(t, ctx, chromedp.Evaluate[string](`(() => { window.confirm = () => true;
		return document.querySelector('`+form+` button[type=submit]').getAttribute('data-confirm') || ''; })()`))
	if strings.HasSuffix(action, "/sign") && question == "" {
		t.Errorf("signing asks no confirmation")
	}
	if note != "" {
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(form+` textarea[name=note]`), note))
	}
	// Clicked from the page's script: the viewer may still be rebuilding the page
	// beside the form, which detaches nodes a protocol-level click has found.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('`+form+` button[type=submit]').click()`))
	wait, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	state := `document.querySelector('.state') && document.querySelector('.state').innerText === '` + wantState + `'`
	for { // the page navigates meanwhile: evaluations may fail until it has loaded
		if ok, err := chromedp.Run(wait, chromedp.Evaluate[bool](state)); err == nil && ok {
			return
		}
		select {
		case <-wait.Done():
			failed(t, ctx, fmt.Errorf("after %s the state is not %q", action, wantState))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestReturnedDraftRevisedAndSignedByDelegateInChromium: the chairman delegates
// signing to his deputy; a specialist's draft form keeps what was typed after an
// error; the chairman returns the draft from signature; the specialist revises it
// into a new version; the deputy signs it "KT. CHỦ TỊCH", which the PDF prints on its
// own line; a commune's chairman gets the refusal page, and an unknown address the
// error page with the navigation.
func TestReturnedDraftRevisedAndSignedByDelegateInChromium(t *testing.T) {
	t.Parallel()
	pdftotext := testenv.LookTool(t, "pdftotext")
	ts, srv := newDemoServer(t)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 180*time.Second)
	defer cancel()

	// The chairman delegates signing to the vice-chairman for a week.
	signIn(t, ctx, ts.URL, "chutich.huyen")
	do(t, ctx, chromedp.Navigate(ts.URL+"/delegations"), chromedp.WaitVisible(chromedp.CSS(`select[name=delegate_id]`)))
	browse(t, ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('select[name=delegate_id]');
		s.value = [...s.options].find(o => o.text.includes('Hà Minh Quân')).value; return true; })()`))
	week := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name=ends_on]`), week),
		click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if table := browse(t, ctx, chromedp.Text(chromedp.CSS(`table`))); !strings.Contains(table, "KT. CHỦ TỊCH") || !strings.Contains(table, "Đang hiệu lực") {
		t.Errorf("delegations read %q", table)
	}
	saveScreenshot(t, "delegation.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	signOut(t, ctx)

	// The specialist types a công văn; a past deadline sends the form back with what was typed.
	signIn(t, ctx, ts.URL, "chuyenvien.tckh")
	subject := "V/v rà soát hồ sơ chuyển đổi số năm 2027"
	do(t, ctx, chromedp.Navigate(ts.URL+"/documents/new"), chromedp.WaitVisible(chromedp.CSS(`textarea[name=subject]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=type]`), "cong_van"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`input[name=due_date]`), "2020-01-01"),
		chromedp.SetValue(chromedp.CSS(`select[name=recipients]`), "000.03.09.H56"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=content]`), "Đề nghị Ủy ban nhân dân xã rà soát hồ sơ."),
		click(chromedp.CSS(`form.card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.field-error`)))
	if msg := browse(t, ctx, chromedp.Text(chromedp.CSS(`.field-error`))); !strings.Contains(msg, "Hạn xử lý đã qua") {
		t.Errorf("the field error reads %q", msg)
	}
	kept := browse(t, ctx, chromedp.Evaluate[[]string](`[document.querySelector('textarea[name=subject]').value,
		document.querySelector('select[name=type]').value, document.querySelector('textarea[name=content]').value,
		document.querySelector('select[name=recipients]').value]`))
	if !slices.Equal(kept, []string{subject, "cong_van", "Đề nghị Ủy ban nhân dân xã rà soát hồ sơ.", "000.03.09.H56"}) {
		t.Errorf("the form came back with %q", kept)
	}
	saveScreenshot(t, "draft-form-error.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	browse(t, ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('input[name=due_date]').value = ''; return true; })()`))
	do(t, ctx, click(chromedp.CSS(`form.card button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	location := browse(t, ctx, chromedp.Location())
	id, err := strconv.ParseInt(location[strings.LastIndex(location, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("after saving the draft the browser is at %s", location)
	}
	docURL := location
	clickStep(t, ctx, "outgoing/submit", "", "Chờ lãnh đạo đơn vị duyệt")
	signOut(t, ctx)

	// The unit head approves and submits for signature; the chairman returns it.
	signIn(t, ctx, ts.URL, "truongphong.tckh")
	do(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`.state`)))
	clickStep(t, ctx, "outgoing/approve", "", "Đã duyệt")
	clickStep(t, ctx, "outgoing/submit_signature", "", "Chờ ký")
	signOut(t, ctx)
	signIn(t, ctx, ts.URL, "chutich.huyen")
	do(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`.state`)))
	clickStep(t, ctx, "outgoing/return_signature", "Bổ sung thời hạn báo cáo", "Bị trả lại để sửa")
	signOut(t, ctx)

	// The specialist revises the content: a new version, laid out again.
	signIn(t, ctx, ts.URL, "chuyenvien.tckh")
	do(t, ctx, chromedp.Navigate(docURL+"/edit"), chromedp.WaitVisible(chromedp.CSS(`textarea[name=content]`)))
	browse(t, ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('textarea[name=content]').value += '\n\nThời hạn báo cáo: trước ngày 15 tháng 12.'; return true; })()`))
	do(t, ctx, click(chromedp.CSS(`form.card button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	versions := browse(t, ctx, chromedp.Text(chromedp.CSS(`section.versions table`)))
	if !strings.Contains(versions, "du-thao-v2-ra-soat-ho-so-chuyen-doi-so-nam.pdf") || !strings.Contains(versions, "Trần Văn Đức") {
		t.Errorf("versions read %q", versions)
	}
	saveScreenshot(t, "versions.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	clickStep(t, ctx, "outgoing/submit", "", "Chờ lãnh đạo đơn vị duyệt")
	signOut(t, ctx)
	signIn(t, ctx, ts.URL, "truongphong.tckh")
	do(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`.state`)))
	clickStep(t, ctx, "outgoing/approve", "", "Đã duyệt")
	clickStep(t, ctx, "outgoing/submit_signature", "", "Chờ ký")
	signOut(t, ctx)

	// The vice-chairman signs under the delegation (the page asks for confirmation).
	signIn(t, ctx, ts.URL, "phochutich.huyen")
	do(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`.state`)))
	clickStep(t, ctx, "outgoing/sign", "", "Đã ký, chờ cấp số")
	signer := browse(t, ctx, chromedp.Text(chromedp.CSS(`dd.signer`)))
	if !strings.Contains(signer, "KT. CHỦ TỊCH") || !strings.Contains(signer, "Hà Minh Quân") {
		t.Errorf("the signer reads %q", signer)
	}
	saveScreenshot(t, "signed-by-delegate.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	signOut(t, ctx)

	lines := signedPDFLines(t, srv.Pool(), pdftotext, id)
	for _, want := range []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hà Minh Quân", "Thời hạn báo cáo: trước ngày 15 tháng 12."} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, want) }) {
			t.Errorf("the signed PDF has no line ending with %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if text := strings.Join(lines, "\n"); strings.Count(text, "V/v") != 1 || !strings.Contains(text, "Kính gửi:") {
		t.Errorf("the signed công văn does not read V/v once with Kính gửi:\n%s", text)
	}

	// Someone of another agency gets the refusal page, with the navigation.
	signIn(t, ctx, ts.URL, "chutich.yenninh")
	do(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`p.error`)))
	if msg := browse(t, ctx, chromedp.Text(chromedp.CSS(`p.error`))); !strings.Contains(msg, "không có quyền xem") {
		t.Errorf("the outsider reads %q", msg)
	}
	if nav := browse(t, ctx, chromedp.Text(chromedp.CSS(`header.topbar nav`))); !strings.Contains(nav, "Văn bản đến") {
		t.Errorf("the refusal page has no navigation: %q", nav)
	}
	saveScreenshot(t, "refused.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	do(t, ctx, chromedp.Navigate(ts.URL+"/khong-co-trang-nay"), chromedp.WaitVisible(chromedp.CSS(`header.topbar nav`)))
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); h != "Không tìm thấy" {
		t.Errorf("an unknown address reads %q", h)
	}
}

// signedPDFLines is the text of a document's current main version, as pdftotext
// -layout reads it, one trimmed line each.
func signedPDFLines(t *testing.T, db store.DB, pdftotext string, id int64) []string {
	t.Helper()
	ctx := context.Background()
	versions, err := docs.Versions(ctx, db, id)
	must(t, err)
	var buf bytes.Buffer
	_, err = docs.CopyBlob(ctx, db, versions[0].BlobID, &buf)
	must(t, err)
	path := filepath.Join(t.TempDir(), versions[0].Name)
	must(t, os.WriteFile(path, buf.Bytes(), 0o600))
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
