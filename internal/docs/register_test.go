package docs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"edms/internal/testenv"
)

// registersFixture fills the registers: two outgoing documents issued and one sent,
// an incoming document assigned and in progress.
func registersFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	qd := f.draft(t, TypeQuyetDinh, "Quyết định về việc thành lập Tổ công tác chuyển đổi số", func(in *DraftInput) {
		in.Recipients = []Recipient{{OrganID: "000.00.00.H55", Name: "UBND tỉnh Thái Nguyên"}, {AgencyID: f.commune, Name: "UBND xã Yên Ninh"}}
		in.IssuedAmount = 5
	})
	f.toSigned(t, qd)
	_, err := f.svc.Issue(ctx, f.in(f.clerk), qd, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), qd, ""))
	must(t, f.svc.Send(ctx, f.in(f.clerk), qd, ""))
	cv := f.draft(t, TypeCongVan, "Về việc đôn đốc nộp báo cáo thống kê quý IV", nil)
	f.toSigned(t, cv)
	_, err = f.svc.Issue(ctx, f.in(f.clerk), cv, "")
	must(t, err)

	in := f.receive(t, "Về việc hướng dẫn đánh giá, xếp loại chất lượng cán bộ, công chức", "1234", nil).DocumentID
	deadline := f.svc.today().AddDate(0, 0, 7)
	f.registerAndAssign(t, in, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: &deadline},
		{Role: RoleInformation, UserID: f.unitHead}})
	as, err := Assignments(ctx, f.pool, in)
	must(t, err)
	must(t, f.svc.AssignHandler(ctx, f.in(f.tpHead), as[0].ID, f.tpSpecialist))
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), as[0].ID, 40, "Đang lấy ý kiến các phòng"))
	return f
}

func TestRegistersHoldTheirColumnsAndPrintVietnamese(t *testing.T) {
	t.Parallel()
	pdftotext := testenv.LookTool(t, "pdftotext")
	f := registersFixture(t)
	ctx := context.Background()
	year := f.svc.today().Year()

	out, err := f.svc.LoadRegister(ctx, f.in(f.clerk), RegisterOutgoing, year)
	must(t, err)
	if len(out.Columns) != 10 || len(out.Rows) != 2 {
		t.Fatalf("outgoing register: %d columns, %d rows", len(out.Columns), len(out.Rows))
	}
	first := out.Rows[0]
	if first[0] != "01/QĐ-UBND" || !strings.HasPrefix(first[2], "Quyết định Quyết định về việc") ||
		first[3] != "Chủ tịch Phạm Quốc Việt" || first[4] != "UBND tỉnh Thái Nguyên; UBND xã Yên Ninh" || first[6] != "5" || first[7] == "" {
		t.Fatalf("outgoing row %q", first)
	}
	if out.Rows[1][0] != "02/UBND-VP" || out.Rows[1][7] != "" {
		t.Fatalf("second outgoing row %q", out.Rows[1])
	}
	inc, err := f.svc.LoadRegister(ctx, f.in(f.clerk), RegisterIncoming, year)
	must(t, err)
	if len(inc.Rows) != 1 || inc.Rows[0][1] != "01" || inc.Rows[0][3] != "1234/UBND-KT" ||
		inc.Rows[0][6] != "Phòng Tư pháp (chủ trì); Lê Văn Hùng (để biết)" {
		t.Fatalf("incoming register %q", inc.Rows)
	}
	follow, err := f.svc.LoadRegister(ctx, f.in(f.clerk), RegisterFollowUp, year)
	must(t, err)
	if len(follow.Rows) != 1 || follow.Rows[0][4] != "40%: Đang lấy ý kiến các phòng" {
		t.Fatalf("follow-up register %q", follow.Rows)
	}
	if _, err := f.svc.LoadRegister(ctx, f.in(f.specialist), RegisterOutgoing, year); !errors.Is(err, ErrForbidden) {
		t.Fatalf("register for a specialist: %v", err)
	}

	for _, reg := range []*Register{out, inc, follow} {
		text := printedText(t, pdftotext, reg, f.svc.now())
		for _, want := range []string{reg.Title, reg.Subtitle, "Ủy ban nhân dân huyện Phú Lương", firstWords(reg.Rows[0][0]), firstWords(reg.Rows[0][1])} {
			if !bytes.Contains(normaliseSpaces(text), normaliseSpaces([]byte(want))) {
				t.Errorf("%s PDF lacks %q; pdftotext gave:\n%s", reg.Kind, want, text)
			}
		}
	}
}

// printedText prints the register and reads its text back with pdftotext.
func printedText(t *testing.T, pdftotext string, reg *Register, printed time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, reg.WritePDF(&buf, printed))
	path := filepath.Join(t.TempDir(), string(reg.Kind)+".pdf")
	must(t, os.WriteFile(path, buf.Bytes(), 0o600))
	if keep := os.Getenv("EDMS_KEEP_REGISTERS"); keep != "" { // to look at the rendering
		must(t, os.WriteFile(filepath.Join(keep, string(reg.Kind)+".pdf"), buf.Bytes(), 0o600))
	}
	text, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	must(t, err)
	return text
}

// normaliseSpaces folds runs of white space, since pdftotext lays text out in columns.
func normaliseSpaces(b []byte) []byte { return []byte(strings.Join(strings.Fields(string(b)), " ")) }

// firstWords is the start of a cell, which stays on its first printed line.
func firstWords(cell string) string {
	words := strings.Fields(cell)
	return strings.Join(words[:min(3, len(words))], " ")
}

// TestRegistersHideSecretEntriesFromWhoCannotOpenThem: the registers listed secret
// documents' subjects to everyone who may print them. An entry the reader may not
// open shows its number and "Mật" only; its keeper and those granted it see it whole.
func TestRegistersHideSecretEntriesFromWhoCannotOpenThem(t *testing.T) {
	t.Parallel()
	pdftotext := testenv.LookTool(t, "pdftotext")
	f := newFixture(t)
	ctx := context.Background()
	year := f.svc.today().Year()
	const outSubject, inSubject = "Văn bản thử số 1", "Về phương án bảo vệ mục tiêu trọng điểm"
	secret := f.signedDocuments(t, 1, TypeQuyetDinh, SecrecyMat)[0] // granted to the clerk
	issued, err := f.svc.Issue(ctx, f.in(f.clerk), secret, "")
	must(t, err)
	in := f.receive(t, inSubject, "31", func(in *ReceiveInput) { in.Secrecy = SecrecyToiMat }).DocumentID
	arrival, err := f.svc.Register(ctx, f.in(f.clerk), in, "")
	must(t, err)

	for _, c := range []struct {
		kind    RegisterKind
		subject string
		number  string
		column  int
	}{
		{RegisterOutgoing, outSubject, FormatNumber(issued.Number) + "/" + issued.Notation, 0},
		{RegisterIncoming, inSubject, FormatNumber(arrival), 1},
	} {
		leader, err := f.svc.LoadRegister(ctx, f.in(f.leader), c.kind, year)
		must(t, err)
		want := make([]string, len(leader.Columns))
		want[c.column], want[len(want)-1] = c.number, "Mật"
		if len(leader.Rows) != 1 || !slices.Equal(leader.Rows[0], want) {
			t.Errorf("%s register for the leader, who may not open the entry: %q, want %q", c.kind, leader.Rows, want)
		}
		clerk, err := f.svc.LoadRegister(ctx, f.in(f.clerk), c.kind, year)
		must(t, err)
		if len(clerk.Rows) != 1 || !strings.Contains(strings.Join(clerk.Rows[0], " "), c.subject) {
			t.Errorf("%s register for the clerk, who keeps or was granted the entry: %q", c.kind, clerk.Rows)
		}
		printed := string(normaliseSpaces(printedText(t, pdftotext, leader, f.svc.now())))
		if strings.Contains(printed, firstWords(c.subject)) || !strings.Contains(printed, c.number) {
			t.Errorf("%s register printed for the leader:\n%s", c.kind, printed)
		}
	}
}
