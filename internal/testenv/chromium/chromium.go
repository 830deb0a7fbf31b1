// Package chromium starts the headless Chromium that browser tests drive with
// chromedp, with the flags this sandboxed machine needs. A missing Chromium skips the
// test, or fails it under EDMS_REQUIRE_TOOLS (see package testenv).
package chromium

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"edms/internal/testenv"
)

// New starts Chromium with a window of the given size, for the test's lifetime, and
// returns the context of its first tab.
func New(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := testenv.LookTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}
