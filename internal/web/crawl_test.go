package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// crawlUsers are the demo's roles: the district's clerk, specialist, unit head,
// leader and administrator, and a commune's clerk and leader.
var crawlUsers = []string{"vanthu.huyen", "chuyenvien.tckh", "truongphong.tckh", "chutich.huyen", "quantri.huyen",
	"vanthu.yenninh", "chutich.yenninh"}

// crawlDepth is how many clicks away from the home page the crawl follows links.
const crawlDepth = 2

var hrefAttr = regexp.MustCompile(`<a\b[^>]*\bhref="([^"]*)"`)

// sameOriginLinks lists the paths of the page's links that stay on the site, without
// fragments; the sign-out link (a form, not a link) and absolute links elsewhere are left.
func sameOriginLinks(base, page string) []string {
	var out []string
	for _, m := range hrefAttr.FindAllStringSubmatch(page, -1) {
		href := html.UnescapeString(m[1])
		href, _, _ = strings.Cut(href, "#")
		href = strings.TrimPrefix(href, base)
		if !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") {
			continue
		}
		out = append(out, href)
	}
	return out
}

// crawl follows, as the signed-in browser b, every same-origin link up to crawlDepth
// clicks from the home page, and fails the test for any that does not answer 200.
func crawl(t *testing.T, b *browser, user string) int {
	t.Helper()
	from := map[string]string{"/": "the sign-in"}
	level := []string{"/"}
	seen := map[string]bool{"/": true}
	for depth := 0; depth <= crawlDepth && len(level) > 0; depth++ {
		var next []string
		for _, path := range level {
			resp, err := b.client.Get(b.base + path)
			if err != nil {
				t.Fatal(err)
			}
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %s (linked from %s) answers %d", user, path, from[path], resp.StatusCode)
				continue
			}
			if depth == crawlDepth || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				continue
			}
			for _, link := range sameOriginLinks(b.base, page) {
				if !seen[link] {
					seen[link], from[link] = true, path
					next = append(next, link)
				}
			}
		}
		slices.Sort(next)
		level = next
	}
	return len(seen)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestEveryLinkLeadsSomewhere signs in as each demo role and follows every link
// reachable within two clicks of the home page: none is missing (404), refused or
// broken (5xx). An unknown address answers the HTML error page, with the site's
// navigation to go on from.
func TestEveryLinkLeadsSomewhere(t *testing.T) {
	t.Parallel()
	ts, _ := newSeededDemoServer(t)
	for _, user := range crawlUsers {
		b := newBrowser(t, ts.URL)
		if status, _ := b.login(user, demoPassword); status != http.StatusOK {
			t.Fatalf("sign in as %s: %d", user, status)
		}
		if pages := crawl(t, b, user); pages < 5 {
			t.Errorf("%s reaches only %d pages", user, pages)
		}
		status, page := b.get("/khong-co-trang-nay?" + url.Values{"x": {"1"}}.Encode())
		if status != http.StatusNotFound || !strings.Contains(page, "Không tìm thấy trang này") || !strings.Contains(page, `href="/"`) {
			t.Errorf("%s: an unknown address answers %d without the navigation", user, status)
		}
	}
}
