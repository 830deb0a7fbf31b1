package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/store/storetest"
)

// waitingForLeader has the clerk of an agency receive a paper document that asks for
// an answer by `requested`, register it and submit it to the leader.
func waitingForLeader(t *testing.T, pool *pgxpool.Pool, clerk, organID, subject string, requested time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	enforcer, err := access.NewEnforcer(ctx, pool)
	must(t, err)
	svc := &docs.Service{Pool: pool, Access: enforcer, Queue: storetest.InsertOnlyQueue(t, pool)}
	a := docs.Actor{UserID: userIDOf(t, pool, clerk), AgencyID: agencyIDOf(t, pool, organID)}
	issued := time.Now().AddDate(0, 0, -1)
	r, err := svc.Receive(ctx, a, docs.ReceiveInput{Document: docs.Document{Type: docs.TypeCongVan, CodeNumber: "75",
		CodeNotation: "UBND-VP", IssuedDate: &issued, Subject: subject, IssuerOrganID: demo.ProvinceID,
		IssuerName: "Ủy ban nhân dân tỉnh Thái Nguyên", PageCount: 2, Paper: true, DueDate: &requested}})
	must(t, err)
	_, err = svc.Register(ctx, a, r.DocumentID, "Bản giấy, đã quét")
	must(t, err)
	must(t, svc.SubmitToLeader(ctx, a, r.DocumentID, "Kính trình lãnh đạo"))
	return r.DocumentID
}

func userIDOf(t *testing.T, pool *pgxpool.Pool, username string) int64 {
	t.Helper()
	u, err := org.UserByUsername(context.Background(), pool, username)
	must(t, err)
	return u.ID
}

func agencyIDOf(t *testing.T, pool *pgxpool.Pool, organID string) int64 {
	t.Helper()
	a, err := org.AgencyByOrganID(context.Background(), pool, organID)
	must(t, err)
	return a.ID
}

// startChromium starts the browser on the server's sign-in page and gives it a
// minute and a half for the journey.
func startChromium(t *testing.T, base string) context.Context {
	t.Helper()
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login")); err != nil { // starts the browser: no timeout on this call
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// expectRefusal opens a document's page as the signed-in user and expects the refusal page.
func expectRefusal(t *testing.T, ctx context.Context, base string, id int64, who string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", base, id)), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	heading := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`)))
	message := browse(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	if heading != "Không tìm thấy" || !strings.Contains(message, "không có quyền xem văn bản này") {
		t.Errorf("%s opened document %d: %q\n%s", who, id, heading, message)
	}
}

// openDocument opens a document's page and waits for its state.
func openDocument(t *testing.T, ctx context.Context, base string, id int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", base, id)), chromedp.WaitVisible(chromedp.CSS(`.state`))); err != nil {
		t.Fatal(err)
	}
}

// pageText is the text of the page's main part.
func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browse(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
}

// TestCommuneChairmanAssignsToAnOfficialInChromium: at a commune, where nobody heads a
// unit, the chairman assigns an arrived document straight to a commune official; the
// sender's deadline is proposed; the official, who could not open it before, finds it
// on his home page, handles and completes it. Another agency's chairman is refused.
func TestCommuneChairmanAssignsToAnOfficialInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	requested := time.Now().AddDate(0, 0, 10)
	subject := "Đề nghị báo cáo kết quả chuyển đổi số cấp xã"
	id := waitingForLeader(t, srv.Pool(), "vanthu.yenninh", demo.YenNinhID, subject, requested)
	official := userIDOf(t, srv.Pool(), "chuyenvien.yenninh")
	ctx := startChromium(t, ts.URL)

	signIn(t, ctx, ts.URL, "chuyenvien.yenninh")
	expectRefusal(t, ctx, ts.URL, id, "the official before the assignment")

	signIn(t, ctx, ts.URL, "chutich.yenninh")
	home := pageText(t, ctx)
	if !strings.Contains(home, "Phân công xử lý") || !strings.Contains(home, subject) {
		t.Errorf("the chairman's home page does not show the document waiting for his assignment:\n%s", home)
	}
	saveScreenshot(t, "assign-commune-home.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	openDocument(t, ctx, ts.URL, id)
	form := `form[action$="/incoming/assign"] `
	proposed := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector('`+form+`input[name=lead_deadline]').value`))
	if proposed != requested.Format(time.DateOnly) {
		t.Errorf("the proposed deadline is %q, the sender asked for %s", proposed, requested.Format(time.DateOnly))
	}
	saveScreenshot(t, "assign-commune-form.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(form+`select[name=lead_unit]`), fmt.Sprintf("user:%d", official)),
		chromedp.SendKeys(chromedp.CSS(form+`textarea[name=note]`), "Giao đồng chí Sơn chủ trì, báo cáo đúng hạn."),
		click(chromedp.CSS(form+`button[type=submit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã phân công")
	if history := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.handovers`))); !strings.Contains(history, "Đặng Văn Sơn") ||
		!strings.Contains(history, "Giao đồng chí Sơn chủ trì") {
		t.Errorf("the hand-over history reads %q", history)
	}

	signIn(t, ctx, ts.URL, "chuyenvien.yenninh")
	if home := pageText(t, ctx); !strings.Contains(home, "Xử lý văn bản đến") || !strings.Contains(home, subject) {
		t.Errorf("the official's home page does not show the document to handle:\n%s", home)
	}
	openDocument(t, ctx, ts.URL, id)
	complete := `form[action$="/incoming/complete"] `
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(complete+`textarea[name=note]`), "Đã báo cáo kết quả."),
		click(chromedp.CSS(complete+`button[type=submit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã hoàn thành")
	saveScreenshot(t, "assign-commune-completed.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signIn(t, ctx, ts.URL, "chutich.du")
	expectRefusal(t, ctx, ts.URL, id, "another commune's chairman")
}

// TestForwardReassignAndTakeBackInChromium: the district chairman assigns a document to
// a head of unit in person; she forwards it to her specialist, who could not open it
// before and now can; the chairman re-assigns the line to her unit with a new deadline,
// sees every hand-over in the history, then takes the assignment back. A clerk of
// another agency is refused.
func TestForwardReassignAndTakeBackInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	subject := "Rà soát kế hoạch đầu tư công trung hạn"
	id := waitingForLeader(t, srv.Pool(), "vanthu.huyen", demo.DistrictID, subject, time.Now().AddDate(0, 0, 12))
	head, specialist := userIDOf(t, srv.Pool(), "truongphong.tckh"), userIDOf(t, srv.Pool(), "chuyenvien.tckh")
	ctx := startChromium(t, ts.URL)

	signIn(t, ctx, ts.URL, "chutich.huyen")
	openDocument(t, ctx, ts.URL, id)
	assign := `form[action$="/incoming/assign"] `
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(assign+`select[name=lead_unit]`), fmt.Sprintf("user:%d", head)),
		chromedp.SendKeys(chromedp.CSS(assign+`textarea[name=note]`), "Giao đồng chí Mai chủ trì."),
		click(chromedp.CSS(assign+`button[type=submit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã phân công")

	signIn(t, ctx, ts.URL, "chuyenvien.tckh")
	expectRefusal(t, ctx, ts.URL, id, "the specialist before the forward")

	signIn(t, ctx, ts.URL, "truongphong.tckh")
	openDocument(t, ctx, ts.URL, id)
	forward := `form.forward `
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(forward+`select[name=user_id]`), fmt.Sprint(specialist)),
		chromedp.SendKeys(chromedp.CSS(forward+`textarea[name=note]`), "Chuyển đồng chí Đức tham mưu."),
		click(chromedp.CSS(forward+`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if flash := browse(t, ctx, chromedp.Text(chromedp.CSS(`.flash`))); flash != "Đã chuyển xử lý văn bản." {
		t.Errorf("after the forward: %q", flash)
	}

	signIn(t, ctx, ts.URL, "chuyenvien.tckh")
	if home := pageText(t, ctx); !strings.Contains(home, subject) {
		t.Errorf("the specialist's home page does not show the forwarded document:\n%s", home)
	}
	openDocument(t, ctx, ts.URL, id)

	signIn(t, ctx, ts.URL, "chutich.huyen")
	openDocument(t, ctx, ts.URL, id)
	newDeadline := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)
	reassign := `form.reassign `
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(reassign+`select[name=to]`), "TCKH"),
		chromedp.SetValue(chromedp.CSS(reassign+`input[name=deadline]`), newDeadline),
		chromedp.SendKeys(chromedp.CSS(reassign+`textarea[name=note]`), "Giao phòng Tài chính - Kế hoạch."),
		click(chromedp.CSS(reassign+`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	history := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.handovers`)))
	for _, want := range []string{"Phân công (Chủ trì)", "Chuyển xử lý (Chủ trì)", "Phân công lại (Chủ trì)", "Lê Thị Mai", "Trần Văn Đức",
		"Phòng Tài chính - Kế hoạch", "Chuyển đồng chí Đức tham mưu."} {
		if !strings.Contains(history, want) {
			t.Errorf("the hand-over history lacks %q:\n%s", want, history)
		}
	}
	saveScreenshot(t, "assign-district-history.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	takeBack := `form[action$="/incoming/take_back"] `
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(takeBack+`textarea[name=note]`), "Chờ ý kiến Thường trực."),
		click(chromedp.CSS(takeBack+`button[type=submit]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Chờ lãnh đạo phân công")
	if history := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.handovers`))); !strings.Contains(history, "Thu hồi phân công") {
		t.Errorf("the history does not show the take-back:\n%s", history)
	}
	saveScreenshot(t, "assign-district-taken-back.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signIn(t, ctx, ts.URL, "vanthu.yenninh")
	expectRefusal(t, ctx, ts.URL, id, "a clerk of another agency")
}
