package docs

import (
	"strings"
	"testing"
)

// BenchmarkComposeLongestTypedContent lays out 128 KiB of typed Vietnamese text, the
// most the draft form accepts (16 MB took 5.6 s and 300 MB before it was bounded).
func BenchmarkComposeLongestTypedContent(b *testing.B) {
	paragraph := "Ủy ban nhân dân huyện Phú Lương đề nghị các xã, thị trấn báo cáo kết quả thực hiện kế hoạch chuyển đổi số năm 2026.\n\n"
	body := strings.Repeat(paragraph, (128<<10)/len(paragraph))
	t, _ := LookupType(TypeCongVan)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ComposePDF(ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: t, Subject: "Báo cáo", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}
