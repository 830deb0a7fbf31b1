// Package testenv lets tests depend on real external tools (pdfsig, xmlsec1, xmllint,
// qpdf, chromium, softhsm2-util...) without mocking them. A missing tool skips the test
// on a developer machine, but fails it when EDMS_REQUIRE_TOOLS is set, as CI does, so a
// missing installation can never turn into a silently green run.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
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

// SoftHSMModule is where Debian's softhsm2 package installs its PKCS#11 library.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// SoftHSMToken initialises an empty SoftHSM2 token with the label and user PIN in a
// folder of the test's own, points SOFTHSM2_CONF at it for the rest of the test, and
// returns the PKCS#11 module's path. SoftHSM2 reads its configuration once per
// process, so a test that uses it cannot run in parallel with another that does.
func SoftHSMToken(t testing.TB, label, pin string) string {
	t.Helper()
	module := LookFile(t, SoftHSMModule, "install softhsm2")
	util := LookTool(t, "softhsm2-util")
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+dir+"\nobjectstore.backend = file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	if out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", pin+"00").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}
