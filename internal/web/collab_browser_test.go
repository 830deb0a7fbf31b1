package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"edms/internal/web"
)

// run runs browser steps, failing the test on error.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// bodyText is the visible text of the page.
func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browse(t, ctx, chromedp.Evaluate[string](`document.body.innerText`))
}

// expectRefusalPage opens a URL as the signed-in user and checks that it is the refusal page.
func expectRefusalPage(t *testing.T, ctx context.Context, url, shot string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if h := browse(t, ctx, chromedp.Text(chromedp.CSS(`h1`))); !isRefusal(h) {
		t.Errorf("%s shows %q, not the refusal page", url, h)
	}
	saveScreenshot(t, shot, browse(t, ctx, chromedp.FullScreenshot(100)))
}

// draftToTrinh creates, as the TCKH specialist through the API, a tờ trình with no
// recipient outside the agency.
func draftToTrinh(t *testing.T, ts *httptest.Server, srv *web.Server, subject string) int64 {
	t.Helper()
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	status, out := specialist.upload("/documents", map[string]any{"type": "to_trinh", "subject": subject, "place": "Phú Lương",
		"page_count": 1, "request_key": subject}, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	return int64(out["id"].(float64))
}

// TestCommentThreadInChromium: the specialist comments on his draft and mentions the
// head of his unit, who is notified, reads the thread and answers; a clerk of another
// agency gets the refusal page.
func TestCommentThreadInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	id := draftToTrinh(t, ts, srv, "Tờ trình về việc sửa chữa trụ sở làm việc")
	docURL := fmt.Sprintf("%s/documents/%d", ts.URL, id)
	ctx := startChromium(t, ts.URL)

	signIn(t, ctx, ts.URL, "chuyenvien.tckh")
	run(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`#y-kien textarea[name=body]`)),
		chromedp.SendKeys(chromedp.CSS(`#y-kien textarea[name=body]`), "Kính gửi @truongphong.tckh dự thảo tờ trình, xin ý kiến trước khi trình."),
		click(chromedp.CSS(`#y-kien button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	thread := browse(t, ctx, chromedp.Text(chromedp.CSS(`#y-kien .thread`)))
	if !strings.Contains(thread, "Trần Văn Đức") || !strings.Contains(thread, "xin ý kiến trước khi trình") {
		t.Errorf("thread after the comment: %q", thread)
	}
	saveScreenshot(t, "comment-thread.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	var notified int
	err := srv.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.username = 'truongphong.tckh' AND n.document_id = $1 AND n.kind = 'mention' AND n.read_at IS NULL`, id).Scan(&notified)
	if err != nil || notified != 1 {
		t.Errorf("the mentioned unit head has %d notifications (%v)", notified, err)
	}

	signIn(t, ctx, ts.URL, "truongphong.tckh")
	run(t, ctx, chromedp.Navigate(docURL), chromedp.WaitVisible(chromedp.CSS(`#y-kien textarea[name=body]`)),
		chromedp.SendKeys(chromedp.CSS(`#y-kien textarea[name=body]`), "Đồng ý, bổ sung dự toán kinh phí."),
		click(chromedp.CSS(`#y-kien button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	entries := browse(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#y-kien .thread .entry.comment').length`))
	if entries != 2 {
		t.Errorf("%d comments in the thread, want 2", entries)
	}
	saveScreenshot(t, "comment-reply.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signIn(t, ctx, ts.URL, "vanthu.yenninh")
	expectRefusalPage(t, ctx, docURL, "comment-refused.png")
}

// TestRecordInChromium: the district clerk opens a hồ sơ, files a document found by
// search, closes the record and exports it; the zip holds the PDF and indexes listing
// it. The chairman (no record permission) and a commune clerk get the refusal page.
func TestRecordInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	draftToTrinh(t, ts, srv, "Tờ trình về việc kiểm kê tài sản công năm 2026")
	ctx := startChromium(t, ts.URL)

	signIn(t, ctx, ts.URL, "vanthu.huyen")
	run(t, ctx, chromedp.Navigate(ts.URL+"/records"), chromedp.WaitVisible(chromedp.CSS(`form.record-open`)),
		chromedp.SendKeys(chromedp.CSS(`form.record-open input[name=code]`), "08.TS"),
		chromedp.SendKeys(chromedp.CSS(`form.record-open input[name=title]`), "Hồ sơ kiểm kê tài sản công năm 2026"),
		chromedp.SendKeys(chromedp.CSS(`form.record-open input[name=retention]`), "10 năm"),
		click(chromedp.CSS(`form.record-open button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	waitText(t, ctx, `.record-state`, "Đang mở")
	recordURL := browse(t, ctx, chromedp.Location())
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`form.record-search input[name=q]`), "kiem ke tai san"),
		click(chromedp.CSS(`form.record-search button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.found`)))
	saveScreenshot(t, "record-search.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	run(t, ctx, click(chromedp.Search(`//table[contains(@class,"found")]//button[contains(., "Thêm vào hồ sơ")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if docs := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.record-docs tbody`))); !strings.Contains(docs, "kiểm kê tài sản công") {
		t.Fatalf("the record lists %q", docs)
	}
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), // the closing asks for confirmation
		click(chromedp.CSS(`#close-record`)))
	waitText(t, ctx, `.record-state`, "Đã kết thúc")
	saveScreenshot(t, "record-closed.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	encoded := browse(t, ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#export').href)
		.then(r => { if (!r.ok || r.headers.get('Content-Type') !== 'application/zip') throw new Error('export: ' + r.status); return r.arrayBuffer(); })
		.then(b => { let s = ''; for (const c of new Uint8Array(b)) s += String.fromCharCode(c); return btoa(s); })`, chromedp.EvalAwaitPromise))
	pkg, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	checkExportedRecord(t, pkg, "Tờ trình về việc kiểm kê tài sản công năm 2026")

	signIn(t, ctx, ts.URL, "chutich.huyen")
	if strings.Contains(bodyText(t, ctx), "Hồ sơ") {
		t.Errorf("the chairman is offered the records")
	}
	expectRefusalPage(t, ctx, recordURL, "record-refused-chairman.png")
	signIn(t, ctx, ts.URL, "vanthu.yenninh")
	expectRefusalPage(t, ctx, recordURL, "record-refused-commune.png")
	expectRefusalPage(t, ctx, recordURL+"/export.zip", "record-export-refused.png")
}

// checkExportedRecord opens the package: index.json and index.xml list the document,
// and the PDF they name is in the zip.
func checkExportedRecord(t *testing.T, pkg []byte, subject string) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
	}
	var index struct {
		FileCode  string
		Documents []struct {
			Subject string
			Files   []struct{ Path string }
		}
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	if index.FileCode == "" || len(index.Documents) != 1 || index.Documents[0].Subject != subject || len(index.Documents[0].Files) == 0 {
		t.Fatalf("index.json: %s", files["index.json"])
	}
	if pdf := files[index.Documents[0].Files[0].Path]; !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("the package lacks the PDF %s (files %d)", index.Documents[0].Files[0].Path, len(files))
	}
	if !strings.Contains(string(files["index.xml"]), "<Subject>"+subject+"</Subject>") {
		t.Errorf("index.xml: %s", files["index.xml"])
	}
}

// TestInternalDocumentInChromium: a tờ trình of Phòng Tài chính - Kế hoạch goes up to
// the chairman through the unit head; the chairman approves it by signing and sends it
// to the Văn phòng; the clerk of the Văn phòng finds it among what was sent to her,
// reads and handles it, and the chairman follows her. A commune official gets the
// refusal page.
func TestInternalDocumentInChromium(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	subject := "Tờ trình về việc mua sắm thiết bị họp trực tuyến"
	id := draftToTrinh(t, ts, srv, subject)
	newAPIClient(t, ts, srv, "chuyenvien.tckh").step(id, "outgoing", "submit", `{"note":"Kính trình"}`)
	head := newAPIClient(t, ts, srv, "truongphong.tckh")
	head.step(id, "outgoing", "approve", ``)
	head.step(id, "outgoing", "submit_signature", `{"note":"Kính trình Chủ tịch"}`)
	internalURL := fmt.Sprintf("%s/internal/documents/%d", ts.URL, id)
	ctx := startChromium(t, ts.URL)

	signIn(t, ctx, ts.URL, "chutich.huyen")
	run(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", ts.URL, id)), chromedp.WaitVisible(chromedp.CSS(`form.action`)))
	waitText(t, ctx, `.state`, "Chờ ký")
	acceptConfirmations(t, ctx)
	run(t, ctx, click(chromedp.Search(`//button[contains(., "Ký ban hành")]`)))
	waitText(t, ctx, `.state`, "Đã ký, chờ cấp số")
	run(t, ctx, click(chromedp.CSS(`.internal-link a`)), chromedp.WaitVisible(chromedp.CSS(`form.internal-send`)),
		click(chromedp.Search(`//form[contains(@class,"internal-send")]//label[contains(., "Văn phòng")]/input`)),
		chromedp.SendKeys(chromedp.CSS(`form.internal-send textarea[name=note]`), "Văn phòng chuẩn bị thủ tục mua sắm."),
		click(chromedp.CSS(`form.internal-send button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if rows := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.internal-recipients tbody`))); !strings.Contains(rows, "Chưa đọc") {
		t.Errorf("recipients after sending: %q", rows)
	}
	saveScreenshot(t, "internal-sent.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signIn(t, ctx, ts.URL, "vanthu.huyen")
	run(t, ctx, chromedp.Navigate(ts.URL+"/internal"), chromedp.WaitVisible(chromedp.CSS(`table.internal-received`)))
	saveScreenshot(t, "internal-received.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	run(t, ctx, click(chromedp.Search(`//table[contains(@class,"internal-received")]//a[contains(., "thiết bị họp trực tuyến")]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.internal-handled`)),
		chromedp.SendKeys(chromedp.CSS(`form.internal-handled textarea[name=note]`), "Đã lập kế hoạch mua sắm."),
		click(chromedp.CSS(`form.internal-handled button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))

	signIn(t, ctx, ts.URL, "chutich.huyen")
	run(t, ctx, chromedp.Navigate(ts.URL+"/internal"), chromedp.WaitVisible(chromedp.CSS(`table.internal-sent`)))
	sent := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.internal-sent tbody`)))
	if !strings.Contains(sent, "thiết bị họp trực tuyến") || strings.Count(sent, "1/1") != 2 {
		t.Errorf("the chairman's sent list reads %q", sent)
	}
	run(t, ctx, chromedp.Navigate(internalURL), chromedp.WaitVisible(chromedp.CSS(`table.internal-recipients`)))
	if rows := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.internal-recipients tbody`))); !strings.Contains(rows, "Nguyễn Thị Hoa") || !strings.Contains(rows, "Đã lập kế hoạch mua sắm.") {
		t.Errorf("tracking reads %q", rows)
	}
	saveScreenshot(t, "internal-tracking.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signIn(t, ctx, ts.URL, "chuyenvien.yenninh")
	expectRefusalPage(t, ctx, internalURL, "internal-refused.png")
}
