package docs

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestSearchFindsNumbersTypesAndNames checks what issue 13 asks search to find: the
// full number and symbol (with or without accents or the slash), the type by name
// and abbreviation, the signer, the file names, and the new filters.
func TestSearchFindsNumbersTypesAndNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	decision := f.receive(t, "Về việc phê duyệt danh mục đầu tư công", "01", func(in *ReceiveInput) {
		in.Type, in.CodeNotation = TypeQuyetDinh, "QĐ-UBND"
		in.ExternalID = ExternalID(in.IssuerOrganID, *in.IssuedDate, "01", "QĐ-UBND")
		in.Signer = SignerInfo{Position: "Phó Chủ tịch", FullName: "Hà Văn Khánh"}
	}).DocumentID
	past := time.Now().AddDate(0, 0, -3)
	letter := f.receive(t, "Về việc báo cáo tài chính quý IV", "02", func(in *ReceiveInput) {
		in.CodeNotation, in.IssuerOrganID, in.IssuerName = "UBND-TCKH", "000.00.31.H55", "Sở Tài chính"
		in.ExternalID = ExternalID(in.IssuerOrganID, *in.IssuedDate, "02", "UBND-TCKH")
		in.Urgency = UrgencyKhan
		in.Attachments = []FileInput{{Name: "Phu_luc_danh-sach_ho_ngheo.pdf", MediaType: MediaPDF,
			Content: samplePDF(t, "phụ lục").Content}}
	}).DocumentID
	// The leader's deadline, as an assignment sets it.
	_, err := f.pool.Exec(ctx, `UPDATE documents SET due_date = $1 WHERE id = $2`, past, letter)
	must(t, err)
	clerk := f.in(f.clerk)

	cases := []struct {
		name string
		q    Query
		want []int64
	}{
		{"full number and symbol", Query{Text: "02/UBND-TCKH"}, []int64{letter}},
		{"lower case", Query{Text: "02/ubnd-tckh"}, []int64{letter}},
		{"without the slash", Query{Text: "02 UBND-TCKH"}, []int64{letter}},
		{"another number is not found", Query{Text: "03/UBND-TCKH"}, nil},
		{"symbol with Đ", Query{Text: "01/QĐ-UBND"}, []int64{decision}},
		{"symbol without accents", Query{Text: "01/QD-UBND"}, []int64{decision}},
		{"type without accents", Query{Text: "quyet dinh"}, []int64{decision}},
		{"type with accents", Query{Text: "Quyết định"}, []int64{decision}},
		{"type abbreviation", Query{Text: "qđ"}, []int64{decision}},
		{"signer", Query{Text: "ha van khanh"}, []int64{decision}},
		{"issuing agency", Query{Text: "so tai chinh"}, []int64{letter}},
		{"attachment name", Query{Text: "danh sach ho ngheo"}, []int64{letter}},
		{"excluded number", Query{Text: "ubnd -02/UBND-TCKH"}, []int64{decision}},
		{"issuer filter", Query{IssuerID: "000.00.31.H55"}, []int64{letter}},
		{"urgency filter", Query{Urgencies: []Urgency{UrgencyKhan}}, []int64{letter}},
		{"overdue filter", Query{Deadline: DeadlineOverdue}, []int64{letter}},
		{"due soon filter", Query{Deadline: DeadlineSoon}, nil},
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
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := f.svc.Search(ctx, clerk, Query{Deadline: "tomorrow"}); err == nil {
		t.Error("an unknown deadline filter was accepted")
	}
}
