package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestSwaggerUIInBrowser drives headless Chromium through the Swagger UI of
// the real binary: the landing page, the spec selector, the operations of
// each spec, and "Try it out" before and after one Authorize.
func TestSwaggerUIInBrowser(t *testing.T) {
	chromium := findChromium(t)
	token := "swagger-ui-browser-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token)
	artifacts := artifactDir(t)
	ctx := startBrowser(t, chromium)
	ui := swaggerUI{endpoint: p.endpoint}

	t.Run("api lands on the UI", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(p.endpoint),
			chromedp.WaitVisible(chromedp.CSS(`.swagger-ui .info .title`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		location, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if want := p.endpoint + "/swagger-ui/"; location != want {
			t.Errorf("GET %s landed on %s, want %s", p.endpoint, location, want)
		}
	})

	t.Run("selector lists the specs", func(t *testing.T) {
		names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('.topbar select option')).map(o => o.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"api", "configuration-service", "mongodb-datastore"}; !slices.Equal(names, want) {
			t.Errorf("spec selector lists %q, want %q", names, want)
		}
	})

	for _, spec := range servedSpecs {
		t.Run("spec "+spec.name+" renders its operations", func(t *testing.T) {
			want := fetchSpec(t, p.endpoint+spec.path)
			if err := chromedp.Do(ctx, selectSpec(spec.name, want.title)); err != nil {
				t.Fatal(err)
			}
			got, err := renderedOperations(ctx, len(want.operations))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want.operations) {
				t.Errorf("the UI shows %d operations, the spec has %d\nshown: %q\nspec:  %q",
					len(got), len(want.operations), got, want.operations)
			}

			screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(artifacts, "swagger-ui-"+spec.name+".png"), screenshot, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	if os.Getenv("KEPTN_TEST_ARTIFACTS") == "" {
		t.Logf("screenshots of the Swagger UI are in %s, which is removed after the test; set KEPTN_TEST_ARTIFACTS to keep them", artifacts)
	} else {
		t.Logf("screenshots of the Swagger UI are in %s", artifacts)
	}

	metadata := tryCall{spec: "api", tag: "Metadata", operationID: "metadata", method: "GET", path: "/api/v1/metadata"}
	postEvent := tryCall{spec: "api", tag: "Event", operationID: "postEvent", method: "POST", path: "/api/v1/event",
		body: `{"type":"sh.keptn.event.configuration.change","source":"swagger-ui","shkeptncontext":"swagger-ui-browser-run",` +
			`"data":{"project":"sockshop","stage":"dev","service":"carts"}}`}
	getEvents := tryCall{spec: "mongodb-datastore", tag: "event", operationID: "getEvents", method: "GET", path: "/api/mongodb-datastore/event"}

	t.Run("try it out without Authorize", func(t *testing.T) {
		for _, call := range []tryCall{metadata, postEvent, getEvents} {
			got, err := ui.tryItOut(ctx, call)
			if err != nil {
				t.Fatalf("%s: %v", call, err)
			}
			if got.status != "401" {
				t.Errorf("%s without Authorize: status %s, want 401\n%s", call, got.status, got.body)
			}
			if strings.Contains(got.curl, "x-token") {
				t.Errorf("%s without Authorize sent an x-token header:\n%s", call, got.curl)
			}
		}
	})

	t.Run("try it out after Authorize", func(t *testing.T) {
		if err := chromedp.Do(ctx, ui.authorize(token)); err != nil {
			t.Fatal(err)
		}
		check := func(call tryCall) tryResult {
			t.Helper()
			got, err := ui.tryItOut(ctx, call)
			if err != nil {
				t.Fatalf("%s: %v", call, err)
			}
			if got.status != "200" {
				t.Errorf("%s after Authorize: status %s, want 200\n%s", call, got.status, got.body)
			}
			if !strings.Contains(got.curl, "x-token: "+token) {
				t.Errorf("%s did not send the token:\n%s", call, got.curl)
			}
			if want := ui.origin() + call.path; !strings.HasPrefix(got.requestURL, want) {
				t.Errorf("%s was sent to %s, want %s", call, got.requestURL, want)
			}
			return got
		}

		if got := check(metadata); !strings.Contains(got.body, `"keptnversion"`) {
			t.Errorf("%s returned no keptnversion:\n%s", metadata, got.body)
		}
		sent := check(postEvent)
		var eventContext struct {
			KeptnContext string `json:"keptnContext"`
		}
		if err := json.Unmarshal([]byte(sent.body), &eventContext); err != nil || eventContext.KeptnContext == "" {
			t.Fatalf("%s returned no keptnContext (%v):\n%s", postEvent, err, sent.body)
		}
		getEvents.query = map[string]string{"keptnContext": eventContext.KeptnContext}
		if got := check(getEvents); !strings.Contains(got.body, `"source": "swagger-ui"`) {
			t.Errorf("%s did not return the event sent from the UI:\n%s", getEvents, got.body)
		}
	})
}

// findChromium returns the path of the Chromium binary. Without one the test
// fails in CI, where .ci/run installs it, and is skipped elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("chromium is not installed (%v); .ci/run installs the Debian packages chromium and chromium-driver", err)
	}
	t.Skip("chromium is not installed; install the Debian packages chromium and chromium-driver to run the browser test")
	return ""
}

// artifactDir returns the directory for the test's screenshots:
// $KEPTN_TEST_ARTIFACTS when set, else a temporary directory that is removed
// after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KEPTN_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless Chromium with a fresh profile and returns the
// context of its tab, limited to 3 minutes. At the end of the test it
// fails the test when the page requested anything outside loopback. Host
// names other than localhost do not resolve in this browser, so Chromium's
// own background services cannot reach the network either.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1024),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first action starts the browser and ties its life to the context
	// it runs on, so it runs without the timeout.
	if _, err := chromedp.Call(browserCtx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}

	var mu sync.Mutex
	var outside []string
	err := chromedp.Listen(browserCtx, func(ev any) {
		sent, ok := ev.(*network.EventRequestWillBeSent)
		if !ok || isLocalURL(sent.Request.URL) {
			return
		}
		mu.Lock()
		outside = append(outside, sent.Request.URL)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(outside) > 0 {
			t.Errorf("the browser requested URLs outside loopback: %q", outside)
		}
	})

	ctx, cancelTimeout := context.WithTimeout(browserCtx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// isLocalURL reports whether a URL that the page requested stays on this
// machine: a loopback address, or a data:, blob: or about: URL.
func isLocalURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// selectSpec picks a spec in the UI's selector, as a user does, and waits
// until the UI shows its title.
func selectSpec(name, title string) chromedp.Action[chromedp.Void] {
	pick := fmt.Sprintf(`(() => {
		const select = document.querySelector('.topbar select');
		const option = Array.from(select.options).find(o => o.textContent === %q);
		if (!option) return false;
		select.value = option.value;
		select.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, name)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		found, err := chromedp.Evaluate[bool](pick)(ctx, t)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("the spec selector has no entry %q", name)
		}
		shown := fmt.Sprintf(`((document.querySelector('.info .title') || {}).textContent || '').startsWith(%q)`, title)
		_, err = chromedp.Poll[bool](shown)(ctx, t)
		return err
	})
}

// renderedOperations waits until the UI shows want operations, or a few
// seconds pass, and returns them as sorted "METHOD path" strings. The path
// element of a deprecated operation has another class, so it is found by its
// data-path attribute.
func renderedOperations(ctx context.Context, want int) ([]string, error) {
	list := `Array.from(document.querySelectorAll('.opblock')).map(b =>
		b.querySelector('.opblock-summary-method').textContent + ' ' +
		b.querySelector('.opblock-summary [data-path]').getAttribute('data-path'))`
	var ops []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		ops, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](list))
		if err != nil {
			return nil, err
		}
		if len(ops) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(ops)
	return ops, nil
}

// swaggerUI drives the Swagger UI page of one server.
type swaggerUI struct {
	endpoint string // http://127.0.0.1:PORT/api
}

// origin returns the scheme, host and port of the server.
func (ui swaggerUI) origin() string {
	return strings.TrimSuffix(ui.endpoint, "/api")
}

// tryCall is one operation to run with "Try it out".
type tryCall struct {
	spec, tag, operationID string
	method, path           string // as a user reads them, with the public base path
	body                   string // JSON for the body parameter, if any
	query                  map[string]string
}

func (c tryCall) String() string { return c.method + " " + c.path }

// tryResult is what the UI shows after Execute.
type tryResult struct {
	status, body, curl, requestURL string
}

// authorize enters the token in the Authorize dialog of the api spec.
func (ui swaggerUI) authorize(token string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(ui.endpoint+"/swagger-ui/"),
		chromedp.Click(chromedp.CSS(`.auth-wrapper .authorize`), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS(`.auth-container input`), token, chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`.auth-btn-wrapper .authorize`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`.auth-btn-wrapper .btn-done`), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(`.dialog-ux`)),
	)
}

// tryItOut opens the call's spec on a fresh page, expands the operation,
// fills its parameters and runs it.
func (ui swaggerUI) tryItOut(ctx context.Context, call tryCall) (tryResult, error) {
	block := "#operations-" + call.tag + "-" + call.operationID
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(ui.endpoint + "/swagger-ui/?urls.primaryName=" + url.QueryEscape(call.spec)),
		chromedp.Click(chromedp.CSS(block+` .opblock-summary-control`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(block+` .try-out__btn`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(block + ` .execute`)),
	}
	if call.body != "" {
		steps = append(steps, setTextArea(block+` textarea.body-param__text`, call.body))
	}
	for name, value := range call.query {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(block+` tr[data-param-name="`+name+`"] input`), value))
	}
	live := block + ` .live-responses-table`
	steps = append(steps,
		chromedp.Click(chromedp.CSS(block+` .execute`)),
		chromedp.WaitVisible(chromedp.CSS(live+` tbody .response-col_status`)),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		return tryResult{}, err
	}

	var got tryResult
	for _, field := range []struct {
		selector string
		value    *string
	}{
		{live + ` tbody .response-col_status`, &got.status},
		{live + ` tbody .response-col_description pre`, &got.body},
		{block + ` .curl-command`, &got.curl},
		{block + ` .request-url pre`, &got.requestURL},
	} {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(field.selector)))
		if err != nil {
			return got, fmt.Errorf("read %s: %w", field.selector, err)
		}
		*field.value = strings.TrimSpace(text)
	}
	return got, nil
}

// setTextArea replaces the text of a React-controlled textarea: it sets the
// value through the native setter and fires the input event React listens to.
func setTextArea(selector, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const area = document.querySelector(%q);
		const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
		setter.call(area, %q);
		area.dispatchEvent(new Event('input', {bubbles: true}));
	})()`, selector, text))
}
