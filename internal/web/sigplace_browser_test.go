package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"edms/internal/docs"
	"edms/internal/testenv"
)

// TestSignaturePlacementInChromium has the chairman open an uploaded decision whose
// last page prints his block ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", a blank, his name):
// the viewer finds the block and shows the signature's box over it, signing puts the
// signature's widget in that rectangle, and pdfsig accepts the signature. On a
// composed draft, which prints no block, the box starts at the form's area and the
// chairman moves it with the arrow keys and saves it.
func TestSignaturePlacementInChromium(t *testing.T) {
	t.Parallel()
	qpdf, pdfsig, pdftotext := testenv.LookTool(t, "qpdf"), testenv.LookTool(t, "pdfsig"), testenv.LookTool(t, "pdftotext")
	ts, srv := newSigningDemoServer(t)
	fixture, err := os.ReadFile("../docs/testdata/placeholders.pdf")
	if err != nil {
		t.Fatal(err)
	}
	people := []*apiClient{newAPIClient(t, ts, srv, "chuyenvien.tckh"), newAPIClient(t, ts, srv, "truongphong.tckh")}
	chairman := newAPIClient(t, ts, srv, "chutich.huyen")
	id := uploadForSignature(t, people, string(fixture), "sigplace-block")

	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 240*time.Second)
	defer cancel()
	signIn(t, ctx, ts.URL, "chutich.huyen")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(fmt.Sprintf("%s/documents/%d", ts.URL, id))); err != nil {
		t.Fatal(err)
	}
	waitDrawn(t, ctx)
	waitContains(t, ctx, "#signature-status", "Đã tìm thấy khối chữ ký")
	if boxes := browse(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".stamp-box")].map(b => b.dataset.area)`)); len(boxes) != 1 || boxes[0] != "signature" {
		t.Errorf("the preview shows the boxes %v, want the signature's", boxes)
	}
	saveScreenshot(t, "sigplace-found-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	// Signing without saving first saves the box that was shown.
	acceptConfirmations(t, ctx)
	if err := chromedp.Do(ctx, click(chromedp.CSS(`form[action$="/outgoing/sign"] button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `.state`, "Đã ký, chờ cấp số")
	waitDrawn(t, ctx)
	saveScreenshot(t, "sigplace-signed-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	signed := issuedPDF(t, chairman, id)
	rect := signatureWidgetRect(t, runTool(t, qpdf, "--json", signed))
	const pageHeight = 841.89
	words := pdfWords(t, runTool(t, pdftotext, "-bbox", "../docs/testdata/placeholders.pdf", "-"))
	for _, word := range []string{"TỊCH", "Nguyễn", "Nghĩa"} {
		w := words[word][len(words[word])-1]
		if w.xMin < rect[0] || w.xMax > rect[2] || pageHeight-w.yMax < rect[1] || pageHeight-w.yMin > rect[3] {
			t.Errorf("the signature's widget %v does not cover %q at %v", rect, word, w)
		}
	}
	if rect[3]-rect[1] > 200 {
		t.Errorf("the signature's widget %v reaches beyond the signer's block", rect)
	}
	if verdict := runTool(t, pdfsig, signed); !strings.Contains(verdict, "Signature is Valid") {
		t.Errorf("pdfsig does not accept the signature:\n%s", verdict)
	}

	decision, _ := docs.LookupType(docs.TypeQuyetDinh)
	plain, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: decision, Notation: "QĐ-UBND", Subject: "Quy chế", Body: "Điều 1."})
	if err != nil {
		t.Fatal(err)
	}
	moveSignatureWithKeys(t, ctx, ts.URL, uploadForSignature(t, people, string(plain), "sigplace-no-block"))
}

// uploadForSignature has the specialist upload a decision with content and the head
// of unit approve it and submit it for the chairman's signature.
func uploadForSignature(t *testing.T, people []*apiClient, content, key string) int64 {
	t.Helper()
	specialist, unitHead := people[0], people[1]
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
	return id
}

// moveSignatureWithKeys opens a draft whose PDF prints no signer's block: the page
// says so, the chairman moves the box 20 px down with the arrow keys and saves, and
// the stored area moved with it.
func moveSignatureWithKeys(t *testing.T, ctx context.Context, base string, id int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/documents/%d", base, id))); err != nil {
		t.Fatal(err)
	}
	waitDrawn(t, ctx)
	waitContains(t, ctx, "#signature-status", "Không tìm thấy khối chữ ký")
	box := `.stamp-box[data-area="signature"]`
	for range 10 {
		if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(box)), chromedp.KeyEvent(kb.ArrowDown)); err != nil {
			t.Fatal(err)
		}
	}
	waitContains(t, ctx, "#signature-status", "Vị trí chữ ký đã thay đổi")
	saveScreenshot(t, "sigplace-moved-1366.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	if err := chromedp.Do(ctx, click(chromedp.CSS(`#signature-save`))); err != nil {
		t.Fatal(err)
	}
	waitContains(t, ctx, ".flash", "Đã lưu vị trí chữ ký.")
	waitDrawn(t, ctx)
	stored := browse(t, ctx, chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById("placement-data").textContent)`))
	area, _ := stored["signature"].(map[string]any)
	form := browse(t, ctx, chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById("placement-form-areas").textContent).signature`))
	if stored["signature_source"] != "manual" || area == nil || area["ury"].(float64) >= form["ury"].(float64)-10 {
		t.Errorf("stored %v, want the signature's area moved below the form's %v", stored, form)
	}
}

// signatureWidgetRect is the /Rect of the one signature field's widget in qpdf
// --json's output.
func signatureWidgetRect(t *testing.T, out string) [4]float64 {
	t.Helper()
	var doc struct {
		Qpdf []json.RawMessage `json:"qpdf"`
	}
	var objects map[string]struct {
		Value map[string]any `json:"value"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Qpdf) < 2 {
		t.Fatalf("qpdf --json: %v", err)
	}
	if err := json.Unmarshal(doc.Qpdf[1], &objects); err != nil {
		t.Fatalf("qpdf --json objects: %v", err)
	}
	var rects [][4]float64
	for _, obj := range objects {
		r, _ := obj.Value["/Rect"].([]any)
		if obj.Value["/FT"] != "/Sig" || len(r) != 4 {
			continue
		}
		var rect [4]float64
		for i, v := range r {
			rect[i], _ = v.(float64)
		}
		rects = append(rects, rect)
	}
	if len(rects) != 1 {
		t.Fatalf("the signed PDF has the signature widgets %v, want one", rects)
	}
	return rects[0]
}
