package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's browser, which `make test` installs (scripts/install-chromium.sh).
const chromium = "/usr/bin/chromium"

// browser starts headless Chromium for the console of c. It trusts exactly the dev
// server's key (pinned by SPKI hash, as the CA is not in the system store). Without
// Chromium the test is skipped, unless DXTRAIN_REQUIRE_BROWSER is set (make test).
func browser(t *testing.T, c *devCluster) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromium); err != nil {
		if os.Getenv("DXTRAIN_REQUIRE_BROWSER") != "" {
			t.Fatalf("%s is missing: make test installs Debian's chromium (scripts/install-chromium.sh)", chromium)
		}
		t.Skipf("%s is missing; `make test` installs it", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-popup-blocking", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", serverSPKI(t, c)),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// serverSPKI is the base64 SHA-256 of the dev server certificate's public key.
func serverSPKI(t *testing.T, c *devCluster) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.dataDir, "tls", "dev-server-dev.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatal("dev server certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// do runs browser actions with a deadline, failing the test with what was asked and
// what the page showed.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := get(ctx, chromedp.Steps(actions...)); err != nil {
		t.Fatalf("%s: %v\npage says: %s", what, err, pageText(ctx))
	}
}

// get runs one action under the test deadline for browser steps.
func get[T any](ctx context.Context, a chromedp.Action[T], out ...*T) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if len(out) > 0 {
		*out[0] = v
	}
	return err
}

func pageText(ctx context.Context) string {
	var s string
	_ = get(ctx, chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').innerText : ''`), &s)
	return s
}

// eval evaluates an expression in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	var v T
	if err := get(ctx, chromedp.Evaluate[T](expr), &v); err != nil {
		t.Fatalf("evaluate %s: %v\npage says: %s", expr, err, pageText(ctx))
	}
	return v
}

// script runs JavaScript for its effect, as a step.
func script(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr+`; null`)(ctx, tg)
		return err
	})
}

// waitJS polls a boolean expression in the page until it holds.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if err := get(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(25*time.Second))); err != nil {
		t.Fatalf("%s: %v\npage says: %s", what, err, pageText(ctx))
	}
}

// signIn opens the console and signs in with a token's secret.
func signIn(t *testing.T, ctx context.Context, c *devCluster, secret string) {
	t.Helper()
	do(t, ctx, "sign in",
		chromedp.Navigate("https://"+c.addr+"/ui/"),
		script(`sessionStorage.clear()`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), secret),
		chromedp.Click(chromedp.CSS(`#signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("signout")))
}

// open goes to a console page by its fragment and waits for a selector.
func open(t *testing.T, ctx context.Context, fragment, sel string) {
	t.Helper()
	do(t, ctx, "open "+fragment, script(`location.hash = `+strconv.Quote(fragment)), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// screenshot writes the page to $DXTRAIN_SCREENSHOTS/name.png when that is set
// (make screenshots).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DXTRAIN_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	time.Sleep(300 * time.Millisecond) // let charts settle
	if err := get(ctx, chromedp.FullScreenshot(100), &png); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// textOf is the text of the first element matching a CSS selector, once visible.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	do(t, ctx, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	var s string
	if err := get(ctx, chromedp.Text(chromedp.CSS(sel)), &s); err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// confirmAction clicks an action's button inside scope, types a reason when asked,
// and confirms. The caller checks the effect through the API: the page may redraw
// the control as soon as the change lands.
func confirmAction(t *testing.T, ctx context.Context, scope, action, reason string) {
	t.Helper()
	btn := fmt.Sprintf(`%s button[data-action=%q]`, scope, strings.ToLower(action))
	clickJS(t, ctx, action, btn)
	if reason != "" {
		do(t, ctx, action+": type the reason", chromedp.SendKeys(chromedp.CSS(scope+" .reason"), reason))
	}
	clickJS(t, ctx, action+": confirm", scope+" .confirm-yes")
}

// clickJS waits for an element and clicks it in the page, as a user's click would.
func clickJS(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	waitJS(t, ctx, what+": wait for "+sel, fmt.Sprintf(`(() => { const b = document.querySelector(%q); if (!b) return false; b.click(); return true; })()`, sel))
}
