package docs

import (
	"context"
	"errors"
	"testing"
)

func TestSearchIsAccentInsensitiveAndFiltered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	qd := f.draft(t, TypeQuyetDinh, "Quyết định phê duyệt kế hoạch đào tạo cán bộ", nil)
	bc := f.draft(t, TypeBaoCao, "Báo cáo tình hình đường giao thông nông thôn", nil)
	in := f.receive(t, "Về việc hướng dẫn quyết toán ngân sách", "77", nil).DocumentID
	clerk := f.in(f.clerk)

	cases := []struct {
		name string
		q    Query
		want []int64
	}{
		{"without accents", Query{Text: "quyet dinh"}, []int64{qd}},
		{"with accents", Query{Text: "Quyết Định"}, []int64{qd}},
		{"đ written as d", Query{Text: "duong giao thong"}, []int64{bc}},
		{"phrase order matters", Query{Text: `"dinh quyet"`}, nil},
		{"issuer name", Query{Text: "thai nguyen"}, []int64{in}},
		{"incoming only", Query{Text: "quyet", Direction: Incoming}, []int64{in}},
		{"type filter", Query{Types: []TypeCode{TypeQuyetDinh}}, []int64{qd}},
		{"state filter", Query{States: []string{"received"}}, []int64{in}},
	}
	for _, c := range cases {
		page, err := f.svc.Search(ctx, clerk, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []int64
		for _, d := range page.Items {
			got = append(got, d.ID)
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSearchKeysetPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for range 25 {
		f.receive(t, "Công văn đến", "1", nil)
	}
	clerk := f.in(f.clerk)
	// Without text, then with a text every document matches (served from the window of
	// newest documents, page after page).
	for i, text := range []string{"", "cong van den"} {
		seen := map[int64]bool{}
		after := ""
		pages := 0
		for {
			page, err := f.svc.Search(ctx, clerk, Query{Text: text, Limit: 10, After: after})
			must(t, err)
			pages++
			for _, d := range page.Items {
				if seen[d.ID] {
					t.Fatalf("%q: document %d on two pages", text, d.ID)
				}
				seen[d.ID] = true
			}
			if pages == 1 {
				f.receive(t, "Công văn đến trong lúc xem trang", "2", nil) // must not shift the next pages
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if pages != 3 || len(seen) != 25+i {
			t.Fatalf("%q: %d pages, %d documents; want 3 pages of the %d documents present at the start", text, pages, len(seen), 25+i)
		}
	}
	if _, err := f.svc.Search(ctx, clerk, Query{After: "not-a-cursor"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
}
