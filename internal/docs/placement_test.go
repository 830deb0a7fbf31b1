package docs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/go-pdf/fpdf"
)

// placeholderFixture is a decision drafted outside the system, as agencies upload
// them: its letterhead prints "Số: ......./QĐ-UBND" and "Phú Lương, ngày ... tháng
// ... năm 2026" for the clerk to fill in, and its signer's block "CHỦ TỊCH", a blank
// for the signature and the chairman's name. EDMS_WRITE_FIXTURES=1 rewrites it (the
// browser tests upload the same file).
const placeholderFixture = "testdata/placeholders.pdf"

func TestWritePlaceholderFixture(t *testing.T) {
	if os.Getenv("EDMS_WRITE_FIXTURES") == "" {
		return
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("serif", "", serifRegular)
	pdf.AddUTF8FontFromBytes("serif", "B", serifBold)
	pdf.SetMargins(20, 15, 15)
	pdf.AddPage()
	cell := func(x, y, w float64, style string, size float64, text string) {
		pdf.SetFont("serif", style, size)
		pdf.SetXY(x, y)
		pdf.CellFormat(w, 6, text, "", 0, "C", false, 0, "")
	}
	cell(20, 15, 75, "B", 12, "ỦY BAN NHÂN DÂN")
	cell(20, 21, 75, "B", 12, "HUYỆN PHÚ LƯƠNG")
	cell(100, 15, 95, "B", 12, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	cell(100, 21, 95, "B", 13, "Độc lập - Tự do - Hạnh phúc")
	cell(20, 33, 75, "", 13, "Số: ......../QĐ-UBND")
	cell(100, 33, 95, "", 13, "Phú Lương, ngày ..... tháng ..... năm 2026")
	cell(20, 48, 175, "B", 14, "QUYẾT ĐỊNH")
	cell(20, 55, 175, "B", 13, "Về việc ban hành Quy chế văn thư, lưu trữ điện tử")
	pdf.SetFont("serif", "", 13)
	pdf.SetXY(30, 70)
	pdf.MultiCell(165, 6.5, "Căn cứ Luật Tổ chức chính quyền địa phương; xét đề nghị của Trưởng phòng Nội vụ.\nĐiều 1. Ban hành kèm theo Quyết định này Quy chế văn thư, lưu trữ điện tử.\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký.", "", "J", false)
	cell(110, 120, 80, "B", 13, "TM. ỦY BAN NHÂN DÂN")
	cell(110, 126, 80, "B", 13, "CHỦ TỊCH")
	cell(110, 158, 80, "B", 13, "Nguyễn Văn Nghĩa")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(placeholderFixture, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// placementHook records where the stamp was asked to write.
type placementHook struct {
	markingHook
	stamped Placement
}

func (h *placementHook) StampNumber(ctx context.Context, in io.Reader, out io.Writer, n NumberStamp) error {
	h.stamped = n.Placement
	return h.markingHook.StampNumber(ctx, in, out, n)
}

// TestSetPlacement stores the areas a clerk placed before issuing, refuses them from
// someone who may not issue, out of the page or after the number, and hands them to
// the stamp.
func TestSetPlacement(t *testing.T) {
	f := newFixture(t)
	hook := &placementHook{}
	f.svc.Signing = hook
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Ban hành quy chế", nil)
	f.toSigned(t, id)
	placed := Placement{Source: PlacementText,
		Number: &Area{LLX: 70, LLY: 718, URX: 250, URY: 734, SizePt: 13}, Date: &Area{LLX: 300, LLY: 718, URX: 560, URY: 734, SizePt: 13}}

	if err := f.svc.SetPlacement(ctx, f.in(f.specialist), id, placed); !errors.Is(err, ErrForbidden) {
		t.Errorf("the specialist placed the number: %v", err)
	}
	outside := placed
	outside.Number = &Area{LLX: -10, LLY: 718, URX: 2, URY: 734}
	if err := f.svc.SetPlacement(ctx, f.in(f.clerk), id, outside); !errors.Is(err, ErrInvalid) {
		t.Errorf("an area outside the page was stored: %v", err)
	}
	must(t, f.svc.SetPlacement(ctx, f.in(f.clerk), id, placed))
	got, err := f.svc.PlacementOf(ctx, id)
	must(t, err)
	if !reflect.DeepEqual(got, placed) {
		t.Errorf("stored %+v, want %+v", got, placed)
	}
	if _, err := f.svc.Issue(ctx, f.in(f.clerk), id, ""); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hook.stamped, placed) {
		t.Errorf("the stamp was placed at %+v, want %+v", hook.stamped, placed)
	}
	if err := f.svc.SetPlacement(ctx, f.in(f.clerk), id, placed); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("the placement changed after the number was stamped: %v", err)
	}
}

// signatureHook records where the signer's signature was asked to go.
type signatureHook struct {
	markingHook
	signed LeaderSignature
}

func (h *signatureHook) SignAsLeader(ctx context.Context, in io.Reader, out io.Writer, s LeaderSignature) error {
	h.signed = s
	return h.markingHook.SignAsLeader(ctx, in, out, s)
}

// TestSetSignaturePlacement stores the signature's area the signer placed before
// signing, only from the signer and only while the document waits for the signature,
// hands it to the signature, and keeps it when the clerk places the number.
func TestSetSignaturePlacement(t *testing.T) {
	f := newFixture(t)
	hook := &signatureHook{}
	f.svc.Signing = hook
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Ban hành quy chế", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	area := &Area{LLX: 300, LLY: 380, URX: 530, URY: 500, Page: 1}
	signature := Placement{Signature: area, SignatureSource: PlacementText}
	if err := f.svc.SetPlacement(ctx, f.in(f.leader), id, signature); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("the signature was placed before the document waited for it: %v", err)
	}
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	if err := f.svc.SetPlacement(ctx, f.in(f.unitHead), id, signature); !errors.Is(err, ErrForbidden) {
		t.Errorf("the head of unit placed the signature: %v", err)
	}
	if err := f.svc.SetPlacement(ctx, f.in(f.leader), id, Placement{Signature: &Area{LLX: 300, LLY: 380, URX: 302, URY: 500}, SignatureSource: PlacementManual}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a signature area 2 points wide was stored: %v", err)
	}
	must(t, f.svc.SetPlacement(ctx, f.in(f.leader), id, signature))
	must(t, f.svc.Sign(ctx, f.in(f.leader), id, SignInput{}))
	if !reflect.DeepEqual(hook.signed.Area, area) || !hook.signed.Printed {
		t.Errorf("the signature went to %+v (printed block %v), want %+v", hook.signed.Area, hook.signed.Printed, area)
	}
	number := Placement{Source: PlacementManual,
		Number: &Area{LLX: 70, LLY: 718, URX: 250, URY: 734}, Date: &Area{LLX: 300, LLY: 718, URX: 560, URY: 734}}
	must(t, f.svc.SetPlacement(ctx, f.in(f.clerk), id, number))
	got, err := f.svc.PlacementOf(ctx, id)
	must(t, err)
	want := number
	want.Signature, want.SignatureSource = area, PlacementText
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored %+v, want %+v", got, want)
	}
}
