package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// edms runs the command line in-process with stdin, returning the exit code, stdout and stderr.
func edms(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stderr bytes.Buffer
	oldIn, oldOut := os.Stdin, os.Stdout
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	os.Stdin, os.Stdout = inR, outW
	go func() { io.WriteString(inW, stdin); inW.Close() }()
	code := run(args, &stderr)
	outW.Close()
	os.Stdin, os.Stdout = oldIn, oldOut
	out, _ := io.ReadAll(outR)
	return code, string(out), stderr.String()
}

func TestHelpAndUsage(t *testing.T) {
	if code, _, errOut := edms(t, ""); code != 2 || !strings.Contains(errOut, "serve") {
		t.Errorf("no arguments: %d %q", code, errOut)
	}
	if code, _, _ := edms(t, "", "help"); code != 0 {
		t.Errorf("help: %d", code)
	}
	if code, _, errOut := edms(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := edms(t, "", "user", "add", "-h"); code != 0 {
		t.Errorf("user add -h: %d", code)
	}
	if code, _, _ := edms(t, "", "serve", "-no-such-flag"); code != 2 {
		t.Errorf("bad flag: %d", code)
	}
}

// The CLI (not in parallel: it swaps the process's stdin and stdout).
func TestOrgAndUserCommands(t *testing.T) {
	url := storetest.NewDatabaseURL(t)
	dbFlag := "-database-url=" + url
	csvPath := filepath.Join(t.TempDir(), "tinh.csv")
	os.WriteFile(csvPath, []byte("organ_id,name,abbreviation,parent_organ_id\n"+
		"000.00.00.H56,Ủy ban nhân dân tỉnh Thái Nguyên,UBND,\n"+
		"000.01.00.H56,Ủy ban nhân dân xã Phú Lương,UBND,000.00.00.H56\n"+
		"000.02.00.H56,Xã sai,UB ND,000.00.00.H56\n"), 0o644)

	code, out, errOut := edms(t, "", "org", "import", dbFlag, csvPath)
	if code != 1 || !strings.Contains(out, "created 2") || !strings.Contains(out, "line 4") || !strings.Contains(errOut, "1 rows rejected") {
		t.Errorf("import: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := edms(t, "", "org", "import", dbFlag, csvPath); code != 1 || !strings.Contains(out, "created 0, updated 0, unchanged 2") {
		t.Errorf("second import: %d %s", code, out)
	}
	if code, _, errOut := edms(t, "", "org", "add", dbFlag, "-organ-id", "000.00.00.h56", "-name", "x", "-abbreviation", "X"); code != 1 || !strings.Contains(errOut, "invalid") {
		t.Errorf("bad organ id: %d %s", code, errOut)
	}
	if code, _, _ := edms(t, "", "org", "unit", dbFlag, "-agency", "000.01.00.H56", "-name", "Văn phòng - Thống kê", "-abbreviation", "VP"); code != 0 {
		t.Errorf("unit: %d", code)
	}

	add := func(password, username, role string) (int, string) {
		code, _, errOut := edms(t, password+"\n", "user", "add", dbFlag, "-username", username, "-name", "Nguyễn Văn Nghĩa",
			"-agency", "000.01.00.H56", "-unit", "VP", "-role", role)
		return code, errOut
	}
	if code, errOut := add("Đồi-chè-Phú-Lương", "chutich.phuluong", "lanh_dao"); code != 0 {
		t.Fatalf("user add: %d %s", code, errOut)
	}
	for _, tc := range []struct{ password, username, role, want string }{
		{"Đồi-chè-Phú-Lương", "chutich.phuluong", "lanh_dao", "already taken"},
		{"", "empty.pw", "lanh_dao", "password is empty"},
		{"short", "short.pw", "lanh_dao", "at least 10"},
		{"Đồi-chè-Phú-Lương", "someone", "giam_doc", "unknown role"},
		{"Đồi-chè-Phú-Lương", "Có Dấu", "van_thu", "invalid username"},
	} {
		if code, errOut := add(tc.password, tc.username, tc.role); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("user add %s: %d %q, want %q", tc.username, code, errOut, tc.want)
		}
	}
	code, out, _ = edms(t, "", "user", "list", dbFlag)
	if code != 0 || !strings.Contains(out, "chutich.phuluong") || !strings.Contains(out, "lanh_dao") || strings.Contains(out, "short.pw") {
		t.Errorf("user list: %d\n%s", code, out)
	}
	if code, _, _ := edms(t, "", "user", "disable", dbFlag, "chutich.phuluong"); code != 0 {
		t.Errorf("disable: %d", code)
	}
	if code, out, _ := edms(t, "", "audit", "verify", dbFlag); code != 0 || !strings.Contains(out, "intact: 2 entries") {
		t.Errorf("audit verify: %d %s", code, out)
	}

	pool := storetest.NewPool(t, url)
	for _, sql := range []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, `UPDATE audit_log SET actor = 'x' WHERE id = 1`} {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errOut := edms(t, "", "audit", "verify", dbFlag); code != 1 || !strings.Contains(errOut, "broken at entry 1") {
		t.Errorf("tampered audit verify: %d %s", code, errOut)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	code, _, errOut := edms(t, "", "user", "list", "-database-url=postgres://edms@127.0.0.1:1/edms?connect_timeout=2")
	if code != 1 || !strings.Contains(errOut, "unreachable") {
		t.Errorf("unreachable database: %d %q", code, errOut)
	}
}
