// Package testenv lets tests depend on real external tools (pdfsig, xmlsec1, xmllint,
// qpdf, chromium, softhsm2-util...) without mocking them. A missing tool skips the test
// on a developer machine, but fails it when EDMS_REQUIRE_TOOLS is set, as CI does, so a
// missing installation can never turn into a silently green run.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// ToolsRequired reports whether the environment demands every external tool (CI).
func ToolsRequired() bool { return os.Getenv("EDMS_REQUIRE_TOOLS") != "" }

// LookTool returns the path of the named executable, skipping the test when it is
// missing, or failing it when EDMS_REQUIRE_TOOLS is set.
func LookTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	Missing(t, name+" is not installed (run scripts/install-deps.sh test)")
	return ""
}

// LookFile returns path when it exists; otherwise it skips or fails like LookTool.
func LookFile(t testing.TB, path, why string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	Missing(t, path+" does not exist: "+why)
	return ""
}

// Missing skips the test with the reason, or fails it when tools are required.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if ToolsRequired() {
		t.Fatalf("required by EDMS_REQUIRE_TOOLS: %s", reason)
	}
	t.Skip(reason)
}
