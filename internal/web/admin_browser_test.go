package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"edms/internal/notify"
	"edms/internal/org"
)

// signInWith signs in through the form with a given password and waits for the page
// that follows (selector).
func signInWith(t *testing.T, ctx context.Context, base, username, password, selector string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(selector)),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
}

// signOut submits the top bar's sign-out form. It is submitted from the page's own
// script rather than clicked, so that a page still settling after the previous step
// cannot detach the button under the click.
func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`header form[action="/logout"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('header form[action="/logout"]').submit()`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestAdministratorAddsUserInChromium: the district's administrator lands on the
// administration page, adds a specialist (a weak password is refused and the form
// keeps what was typed), who signs in, sees a notification counted in the top bar and
// reads it, changes their password and signs in with the new one; the specialist gets
// the refusal page on /admin.
func TestAdministratorAddsUserInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	signIn(t, ctx, ts.URL, "quantri.huyen")
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); h != "Quản trị: người dùng" {
		t.Fatalf("the administrator lands on %q", h)
	}
	if list := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.users`))); !strings.Contains(list, "vanthu.huyen") {
		t.Errorf("the users list lacks the clerk: %q", list)
	}
	fill := func(password string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#new-user input[name=username]`), "chuyenvien.lan"),
			chromedp.SetValue(chromedp.CSS(`#new-user input[name=full_name]`), "Đỗ Thị Lan"),
			chromedp.SetValue(chromedp.CSS(`#new-user input[name=email]`), "lan@phuluong.gov.vn"),
			chromedp.SetValue(chromedp.CSS(`#new-user input[name=position]`), "Chuyên viên"),
			chromedp.SetValue(chromedp.CSS(`#new-user input[name=password]`), password),
		)
		if err != nil {
			t.Fatal(err)
		}
		browse(t, ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('#new-user select[name=unit_id]');
			s.value = [...s.options].find(o => o.text === 'Phòng Tài chính - Kế hoạch').value; return true; })()`))
		if err := chromedp.Do(ctx, click(chromedp.CSS(`#new-user button[type=submit]`))); err != nil {
			t.Fatal(err)
		}
	}
	fill("chuyenvien.lan-2026")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#new-user p.error`))); err != nil {
		t.Fatal(err)
	}
	if kept := browse(t, ctx, chromedp.Value(chromedp.CSS(`#new-user input[name=full_name]`))); kept != "Đỗ Thị Lan" {
		t.Errorf("after the refusal the form shows full name %q", kept)
	}
	saveScreenshot(t, "admin-refused.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	fill("Mua-xuan-Phu-Luong")
	waitText(t, ctx, `.flash.ok`, "Đã tạo tài khoản chuyenvien.lan (Đỗ Thị Lan).")
	if list := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.users`))); !strings.Contains(list, "Phòng Tài chính - Kế hoạch") {
		t.Errorf("the new user's row: %q", list)
	}
	saveScreenshot(t, "admin-users.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err := chromedp.Do(ctx,
		click(chromedp.Search(`//a[text()="chuyenvien.lan"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#token-form`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "admin-user.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/admin/agencies"), chromedp.WaitVisible(chromedp.CSS(`table.agencies`)))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "admin-agencies.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/admin/audit?actor=quantri.huyen"), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	if err != nil {
		t.Fatal(err)
	}
	if trail := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.audit`))); !strings.Contains(trail, "user.create") {
		t.Errorf("the audit page lacks the account's creation: %q", trail)
	}
	saveScreenshot(t, "admin-audit.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	signOut(t, ctx)

	// Something waits for the new specialist: the top bar counts it.
	notifyUser(t, srv.Pool(), "chuyenvien.lan", "Văn bản được giao cho bạn xử lý: Báo cáo tình hình thu ngân sách")
	signInWith(t, ctx, ts.URL, "chuyenvien.lan", "Mua-xuan-Phu-Luong", `.agency`)
	if n := browse(t, ctx, chromedp.Text(chromedp.CSS(`.notify-badge .count`))); n != "1" {
		t.Errorf("unread count %q", n)
	}
	saveScreenshot(t, "new-user-home.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx,
		click(chromedp.CSS(`a.notify-badge`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.notifications li.unread`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "notifications.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err = chromedp.Do(ctx,
		click(chromedp.CSS(`ul.notifications li.unread button`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.notifications li.read`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if badge := browse(t, ctx, chromedp.Text(chromedp.CSS(`.notify-badge`))); badge != "Thông báo" {
		t.Errorf("after reading, the badge reads %q", badge)
	}

	// The specialist is refused the administration.
	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`p.error`)))
	if err != nil {
		t.Fatal(err)
	}
	if text := bodyText(t, ctx); !strings.Contains(text, "Bạn không có quyền") {
		t.Errorf("/admin for a specialist reads %q", text)
	}
	saveScreenshot(t, "admin-refusal.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	// The specialist changes the password, then signs in with the new one.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/account/password"),
		chromedp.WaitVisible(chromedp.CSS(`#password-form`)),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=current]`), "Mua-xuan-Phu-Luong"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=password]`), "Thu-vang-Dinh-Hoa"),
		chromedp.SendKeys(chromedp.CSS(`#password-form input[name=confirm]`), "Thu-vang-Dinh-Hoa"),
		click(chromedp.CSS(`#password-form button[type=submit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.flash.ok`, "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.")
	saveScreenshot(t, "password-changed.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	signOut(t, ctx)
	signInWith(t, ctx, ts.URL, "chuyenvien.lan", "Mua-xuan-Phu-Luong", `p.error`)
	signInWith(t, ctx, ts.URL, "chuyenvien.lan", "Thu-vang-Dinh-Hoa", `.agency`)
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); h != "Xin chào, Đỗ Thị Lan" {
		t.Errorf("after the new password the home page reads %q", h)
	}
}

// notifyUser records a notification for the user, as a step of the documents would.
func notifyUser(t *testing.T, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, username, text string) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		u, err := org.UserByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		return notify.Notify(ctx, tx, nil, u.ID, nil, notify.Assigned, text)
	})
	if err != nil {
		t.Fatal(err)
	}
}
