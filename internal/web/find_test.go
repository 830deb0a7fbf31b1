package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// newSeededDemoServer is the demo with its documents, unsigned (no keys to provision).
func newSeededDemoServer(t *testing.T) (*httptest.Server, *web.Server) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedDocuments(ctx, &docs.Service{Pool: pool, Access: enforcer, Queue: storetest.InsertOnlyQueue(t, pool)}); err != nil {
		t.Fatal(err)
	}
	return serveDemo(t, pool, web.Config{}, nil)
}

// download GETs an API path as the client's user and returns the body.
func (c *apiClient) download(path, wantType string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != wantType {
		c.t.Fatalf("GET %s: %d %s: %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return body
}

// sheetRows opens a workbook with excelize and reads its first sheet.
func sheetRows(t *testing.T, book []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// TestRegisterAndListExportToExcel: the clerk exports the incoming register for a
// few days and the list a search selects; excelize reads the register's Nghị định 30
// columns and the province's decision in both.
func TestRegisterAndListExportToExcel(t *testing.T) {
	t.Parallel()
	ts, srv := newSeededDemoServer(t)
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	today := docs.DateInVietnam(time.Now()).Format(time.DateOnly)
	from := docs.DateInVietnam(time.Now()).AddDate(0, 0, -3).Format(time.DateOnly)

	register := sheetRows(t, clerk.download("/registers/incoming.xlsx?from="+from+"&to="+today, xlsxType))
	wantHeadings := []string{"Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
		"Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú"}
	if len(register) < 6 || register[1][0] != "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" || !slices.Equal(register[4], wantHeadings) {
		t.Fatalf("register sheet %q", register)
	}
	if row := register[5]; row[1] != "01" || row[3] != "2150/QĐ-UBND" || !strings.HasPrefix(row[5], "Quyết định Giao chỉ tiêu") {
		t.Fatalf("register row %q", row)
	}
	pdf := clerk.download("/registers/incoming.pdf?from="+from+"&to="+today, "application/pdf")
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatal("the register for a period is not a PDF")
	}

	list := sheetRows(t, clerk.download("/documents/export.xlsx?direction=incoming&q="+url.QueryEscape("2150/QD-UBND"), xlsxType))
	if len(list) != 6 || list[4][0] != "Số, ký hiệu" || list[5][0] != "2150/QĐ-UBND" {
		t.Fatalf("list sheet %q", list)
	}
}

// TestFindAndDashboardInChromium: the clerk searches by full number without accents
// and by type on the incoming tab, narrows by type; the tab and the filters survive
// each search and the links. The dashboard draws its charts, and a month's bar lands
// on that month's list.
func TestFindAndDashboardInChromium(t *testing.T) {
	t.Parallel()
	ts, _ := newSeededDemoServer(t)
	ctx := newChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	signIn(t, ctx, ts.URL, "vanthu.huyen")
	const decision = "Giao chỉ tiêu chuyển đổi số năm 2027"

	search := func(text string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#find input[name=q]`), text),
			chromedp.Submit(chromedp.CSS(`#find`)),
			chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
			chromedp.Sleep(300*time.Millisecond), // the new page replaces the old one
			chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
		)
		if err != nil {
			t.Fatal(err)
		}
	}
	listShows := func(what, want string) {
		t.Helper()
		rows := browse(t, ctx, chromedp.Text(chromedp.CSS(`table.docs tbody`)))
		if !strings.Contains(rows, want) {
			t.Errorf("%s: the list lacks %q: %q", what, want, rows)
		}
		if tab := browse(t, ctx, chromedp.Text(chromedp.CSS(`.tabs a.active`))); tab != "Văn bản đến" {
			t.Errorf("%s: the active tab is %q", what, tab)
		}
	}
	err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/documents?direction=incoming"), chromedp.WaitVisible(chromedp.CSS(`#find`)))
	if err != nil {
		t.Fatal(err)
	}
	search("2150/QD-UBND")
	listShows("full number without accents", decision)
	search("quyet dinh")
	listShows("type without accents", decision)
	search("Quyết định")
	listShows("type with accents", decision)

	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`select[name=type]`), "quyet_dinh"),
		chromedp.SetValue(chromedp.CSS(`select[name=urgency]`), ""),
		click(chromedp.CSS(`details.filters button`)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	listShows("type filter", decision)
	if q := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector('#find input[name=q]').value`)); q != "Quyết định" {
		t.Errorf("the search box reads %q after filtering", q)
	}
	if typ := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector('select[name=type]').value`)); typ != "quyet_dinh" {
		t.Errorf("the type filter reads %q after filtering", typ)
	}
	outTab := browse(t, ctx, chromedp.Evaluate[string](`document.querySelector('.tabs a[href*="direction=outgoing"]').getAttribute('href')`))
	if !strings.Contains(outTab, "type=quyet_dinh") || !strings.Contains(outTab, "q=") {
		t.Errorf("the outgoing tab drops the filters: %s", outTab)
	}
	saveScreenshot(t, "find-filters.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	err = chromedp.Do(ctx, click(chromedp.Search(`//a[.="Sổ đăng ký"]`)), chromedp.WaitVisible(chromedp.CSS(`ul.register-links`)))
	if err != nil {
		t.Fatal(err)
	}
	if links := browse(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('ul.register-links a[href*="from="]').length`)); links != 6 {
		t.Errorf("the registers page offers %d links, want a PDF and an Excel link for each of the 3 registers", links)
	}
	saveScreenshot(t, "registers.png", browse(t, ctx, chromedp.FullScreenshot(100)))

	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`#chart-months svg`)))
	if err != nil {
		t.Fatal(err)
	}
	drawn := browse(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('svg rect.bar')].filter(r => {
		const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0 }).length`))
	if drawn < 2 {
		t.Fatalf("the dashboard drew %d bars", drawn)
	}
	saveScreenshot(t, "dashboard.png", browse(t, ctx, chromedp.FullScreenshot(100)))
	// The decision is filed under the day it was issued, two days ago: the last month
	// with incoming documents holds it.
	bar := `[...document.querySelectorAll('#chart-months rect.bar.in')].filter(r => r.getBBox().height > 0).pop()`
	href := browse(t, ctx, chromedp.Evaluate[string](bar+`.closest('a').getAttribute('href')`))
	browse(t, ctx, chromedp.Evaluate[bool](bar+`.dispatchEvent(new MouseEvent('click', {bubbles: true}))`))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`table.docs`))); err != nil {
		t.Fatal(err)
	}
	listShows("drill-down from the month's incoming bar", decision)
	month := time.Now().AddDate(0, 0, -2).Format("2006-01")
	if page := browse(t, ctx, chromedp.Location()); !strings.HasSuffix(page, href) || !strings.Contains(href, "direction=incoming") ||
		!strings.Contains(href, "from="+month) || !strings.Contains(href, "to="+month) {
		t.Errorf("the drill-down from %s landed on %s", href, page)
	}
}
