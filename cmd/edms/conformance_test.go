package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceCommand prepares a kit and runs it against an address where
// nothing listens: the operator's steps are printed, and the run prints the table
// with its one FAIL row and exits 1.
func TestConformanceCommand(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := edms(t, "", "conformance", "init", "-dir", dir, "-target-organ", "000.00.00.H99", "-crl-listen", "127.0.0.1:0")
	if code != 0 || !strings.Contains(out, "edms exchange peer add -name conformance -role hub") || !strings.Contains(out, "-hub https://") {
		t.Fatalf("init: %d\n%s\n%s", code, out, errOut)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "target-ca.pem"), ca, 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	code, out, errOut = edms(t, "", "conformance", "-dir", dir, "-target", "https://"+closed, "-listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(out, "11.5") || !strings.Contains(out, "1 FAIL") {
		t.Fatalf("run against nothing: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := edms(t, "", "conformance", "-dir", dir); code != 2 {
		t.Errorf("without -target: %d, want the usage", code)
	}
}
