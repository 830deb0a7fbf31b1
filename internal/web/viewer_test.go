package web_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"edms/internal/docs"
	"edms/internal/testenv"
)

// TestViewerAndPlacementInChromium uploads a decision drafted outside the system,
// whose letterhead prints "Số: ......../QĐ-UBND" and "Phú Lương, ngày ..... tháng
// ..... năm 2026", has it signed, then opens it as the clerk at 1366×768: the viewer
// draws the PDF, finds both placeholders, and the clerk saves them and issues. The
// issued PDF shows the number once, on the placeholder's line, and the page lists the
// signatures with their verdicts. At 390×844 the viewer still draws, within the screen.
func TestViewerAndPlacementInChromium(t *testing.T) {
	t.Parallel()
	pdftotext := testenv.LookTool(t, "pdftotext")
	ts, srv := newSigningDemoServer(t)
	fixture, err := os.ReadFile("../docs/testdata/placeholders.pdf")
	if err != nil {
		t.Fatal(err)
	}
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	unitHead := newAPIClient(t, ts, srv, "truongphong.tckh")
	chairman := newAPIClient(t, ts, srv, "chutich.huyen")
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	id := uploadSigned(t, []*apiClient{specialist, unitHead, chairman}, string(fixture), "viewer-placeholders")

	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 240*time.Second)
	defer cancel()
	signIn(t, ctx, ts.URL, "vanthu.huyen")
	page := fmt.Sprintf("%s/documents/%d", ts.URL, id)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	waitDrawn(t, ctx)
	waitContains(t, ctx, "#placement-status", "Đã tìm thấy chỗ ghi số và ngày")
	if boxes := browse(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".stamp-box").length`)); boxes != 2 {
		t.Errorf("the preview shows %d placement boxes, want 2", boxes)
	}
	saveScreenshot(t, "viewer-placement-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	err = chromedp.Do(ctx, click(chromedp.CSS(`#placement-save`)))
	if err != nil {
		t.Fatal(err)
	}
	waitContains(t, ctx, ".flash", "Đã lưu vị trí ghi số, ngày ban hành.")
	waitDrawn(t, ctx)
	if err := chromedp.Do(ctx, click(chromedp.Search(`//button[contains(., "Cấp số")]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã cấp số, chờ ký số cơ quan")
	waitDrawn(t, ctx)
	verdict := browse(t, ctx, chromedp.Text(chromedp.CSS(`.signature .badge`)))
	signer := browse(t, ctx, chromedp.Text(chromedp.CSS(`.signature strong`)))
	if verdict != "Hợp lệ, tin cậy" || signer == "" {
		t.Errorf("the signature beside the viewer reads %q by %q", verdict, signer)
	}
	saveScreenshot(t, "viewer-issued-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	issued := issuedPDF(t, clerk, id)
	number := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector("h1").innerText.replace(/^.* số /, "")`))
	layout := runTool(t, pdftotext, "-layout", issued, "-")
	if n := strings.Count(layout, number); n != 1 {
		t.Errorf("the issued PDF shows %q %d times, want once:\n%s", number, n, layout)
	}
	// In that place: on the placeholder's baseline, starting within it.
	words := pdfWords(t, runTool(t, pdftotext, "-bbox", issued, "-"))
	placeholder, stamped := words["......../QĐ-UBND"], words[number]
	if len(placeholder) != 1 || len(stamped) != 1 {
		t.Fatalf("placeholder boxes %v, number boxes %v", placeholder, stamped)
	}
	p, n := placeholder[0], stamped[0]
	if math.Abs(p.yMax-n.yMax) > 2 || n.xMin > p.xMax || n.xMax < p.xMin {
		t.Errorf("the number %v is not over the placeholder %v", n, p)
	}
	if err := chromedp.Do(ctx, click(chromedp.Search(`//button[contains(., "Ký số của cơ quan")]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Chờ phát hành")
	waitDrawn(t, ctx)
	verdicts := browse(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".signature .badge")].map(b => b.innerText)`))
	if len(verdicts) != 2 || verdicts[0] != "Hợp lệ, tin cậy" || verdicts[1] != "Hợp lệ, tin cậy" {
		t.Errorf("after the agency's seal the signatures read %q", verdicts)
	}
	saveScreenshot(t, "viewer-sealed-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	decision, _ := docs.LookupType(docs.TypeQuyetDinh)
	plain, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: decision, Notation: "QĐ-UBND", Subject: "Quy chế", Body: "Điều 1."})
	if err != nil {
		t.Fatal(err)
	}
	dragPlacement(t, ctx, ts.URL, uploadSigned(t, []*apiClient{specialist, unitHead, chairman}, string(plain), "viewer-no-placeholders"))

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	waitDrawn(t, ctx)
	if right := browse(t, ctx, chromedp.Evaluate[float64](`document.getElementById("viewer").getBoundingClientRect().right`)); right > 390 {
		t.Errorf("at 390 px the viewer ends at %v px", right)
	}
	saveScreenshot(t, "viewer-390.png", browse(t, ctx, chromedp.FullScreenshot(100)))
}

// uploadSigned has the specialist upload a decision with content, the head of unit
// approve it and the chairman sign it.
func uploadSigned(t *testing.T, people []*apiClient, content, key string) int64 {
	t.Helper()
	specialist, unitHead, chairman := people[0], people[1], people[2]
	draft := map[string]any{"type": "quyet_dinh", "subject": "Ban hành Quy chế văn thư, lưu trữ điện tử (" + key + ")",
		"place": "Phú Lương", "page_count": 1, "request_key": key}
	status, out := specialist.upload("/documents", draft, content)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	specialist.step(id, "outgoing", "submit", ``)
	unitHead.step(id, "outgoing", "approve", ``)
	unitHead.step(id, "outgoing", "submit_signature", ``)
	chairman.step(id, "outgoing", "sign", ``)
	return id
}

// dragPlacement opens a signed document whose PDF prints no placeholder: the page
// says so, the clerk drags the number's box 60 px down and saves, and the stored
// area moved with it.
func dragPlacement(t *testing.T, ctx context.Context, base string, id int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", base, id))); err != nil {
		t.Fatal(err)
	}
	waitDrawn(t, ctx)
	waitContains(t, ctx, "#placement-status", "Không tìm thấy đủ chỗ ghi số, ngày")
	box := `document.querySelector('.stamp-box[data-area="number"]').getBoundingClientRect()`
	before := browse(t, ctx, chromedp.Evaluate[map[string]float64](`(() => { const r = `+box+`; return {x: r.x + r.width / 2, y: r.y + r.height / 2, top: r.top}; })()`))
	x, y := before["x"], before["y"]
	err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y+30, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y+60, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y+60, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if top := browse(t, ctx, chromedp.Evaluate[float64](box+`.top`)); math.Abs(top-before["top"]-60) > 1 {
		t.Errorf("the dragged box moved from %v to %v px, want 60 px down", before["top"], top)
	}
	waitContains(t, ctx, "#placement-status", "Vị trí đã thay đổi")
	saveScreenshot(t, "viewer-drag-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	if err := chromedp.Do(ctx, click(chromedp.CSS(`#placement-save`))); err != nil {
		t.Fatal(err)
	}
	waitContains(t, ctx, ".flash", "Đã lưu vị trí ghi số, ngày ban hành.")
	waitDrawn(t, ctx)
	stored := browse(t, ctx, chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById("placement-data").textContent)`))
	number, _ := stored["number"].(map[string]any)
	form := browse(t, ctx, chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById("placement-form-areas").textContent).number`))
	if stored["source"] != "manual" || number == nil || number["ury"].(float64) >= form["ury"].(float64)-20 {
		t.Errorf("stored %v, want the number's area dragged below the form's %v", stored, form)
	}
}

// waitDrawn waits until the viewer has drawn a page and checks that the canvas holds
// more than white: the PDF was rendered, not just the element laid out.
func waitDrawn(t *testing.T, ctx context.Context) {
	t.Helper()
	js := `(() => {
		const c = document.getElementById("viewer-canvas");
		const status = (document.getElementById("viewer-status") || {}).innerText || "";
		if (!c || !c.dataset.rendered || c.width === 0) return {ink: -1, status};
		const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let ink = 0;
		for (let i = 0; i < px.length; i += 4) if (px[i] < 128 && px[i+3] > 0) ink++;
		return {ink, status};
	})()`
	type drawn struct {
		Ink    int    `json:"ink"`
		Status string `json:"status"`
	}
	var last drawn
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[drawn](js))
		if err == nil && got.Ink > 500 {
			return
		}
		if err == nil {
			last = got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the viewer never drew the PDF (dark pixels %d; status %q)", last.Ink, last.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitContains waits until the element's text contains want.
func waitContains(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	js := fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, selector)
	var last string
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err == nil && strings.Contains(got, want) {
			return
		}
		if err == nil {
			last = got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never contained %q (reads %q)", selector, want, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// issuedPDF downloads the document's newest main PDF into a file.
func issuedPDF(t *testing.T, c *apiClient, id int64) string {
	t.Helper()
	_, out := c.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	var fileID, version float64
	for _, f := range out["files"].([]any) {
		f := f.(map[string]any)
		if f["kind"] == "main" && f["version"].(float64) >= version {
			fileID, version = f["id"].(float64), f["version"].(float64)
		}
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/documents/%d/files/%d", c.base, id, int64(fileID)), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	content, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "issued.pdf")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runTool runs a command-line tool and returns what it printed.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

// wordBox is where pdftotext -bbox found a word, in points from the top left.
type wordBox struct{ xMin, yMin, xMax, yMax float64 }

var bboxWord = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)

// pdfWords maps each word of pdftotext -bbox's output to its boxes.
func pdfWords(t *testing.T, html string) map[string][]wordBox {
	words := map[string][]wordBox{}
	for _, m := range bboxWord.FindAllStringSubmatch(html, -1) {
		var b wordBox
		for i, p := range []*float64{&b.xMin, &b.yMin, &b.xMax, &b.yMax} {
			*p, _ = strconv.ParseFloat(m[i+1], 64)
		}
		word := strings.ReplaceAll(m[5], "&amp;", "&")
		words[word] = append(words[word], b)
	}
	return words
}

// TestPlacementAPI stores the number and date areas through the API, for the clerk of
// a signed document only.
func TestPlacementAPI(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	unitHead := newAPIClient(t, ts, srv, "truongphong.tckh")
	chairman := newAPIClient(t, ts, srv, "chutich.huyen")
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	draft := map[string]any{"type": "quyet_dinh", "subject": "Ban hành quy chế", "place": "Phú Lương", "page_count": 1, "request_key": "placement-api"}
	status, out := specialist.upload("/documents", draft, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	path := fmt.Sprintf("/documents/%d/placement", id)
	body := `{"number":{"llx":60,"lly":740,"urx":250,"ury":756,"size":13},"date":{"llx":300,"lly":740,"urx":560,"ury":756},"source":"manual"}`
	if status, out := clerk.do("PUT", path, "application/json", strings.NewReader(body)); status != http.StatusConflict {
		t.Errorf("placement of a draft: %d %v", status, out)
	}
	specialist.step(id, "outgoing", "submit", ``)
	unitHead.step(id, "outgoing", "approve", ``)
	unitHead.step(id, "outgoing", "submit_signature", ``)
	chairman.step(id, "outgoing", "sign", ``)
	if status, out := specialist.do("PUT", path, "application/json", strings.NewReader(body)); status != http.StatusForbidden {
		t.Errorf("placement by the specialist: %d %v", status, out)
	}
	if status, out := clerk.do("PUT", path, "application/json", strings.NewReader(`{"number":{"llx":-5,"lly":0,"urx":1,"ury":1},"date":null,"source":"manual"}`)); status != http.StatusBadRequest {
		t.Errorf("placement outside the page: %d %v", status, out)
	}
	status, out = clerk.do("PUT", path, "application/json", strings.NewReader(body))
	if status != http.StatusOK || out["source"] != "manual" || out["number"].(map[string]any)["size"] != 13.0 {
		t.Errorf("placement by the clerk: %d %v", status, out)
	}
}
