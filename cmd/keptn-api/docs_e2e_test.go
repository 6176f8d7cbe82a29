package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsGuides runs the curl walkthrough of each collection guide in docs/
// against a fresh server, in a temporary directory for the files that the
// commands write. Each string in quoted must appear both in the guide's text
// and in the output, so the responses that the guide shows are real.
func TestDocsGuides(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	guides := []struct {
		file   string
		quoted []string
		output []string // strings of the output that the guide describes in words
		check  func(t *testing.T, out string)
	}{
		{
			file: "api.md",
			quoted: []string{
				`{"keptnlabel":"keptn","keptnversion":"0.7.3","namespace":"keptn"}`,
				`{"keptnContext":"63617274-732d-4275-a96c-642d34322020","token":"eyJ`,
				`{"code":401,"message":"incorrect api key auth"}`,
				`{"code":400,"message":"invalid data: it must be a JSON object, not a JSON string"}`,
				`{"code":602,"message":"data in body is required"}`,
				`{"nextPageKey":"0","stages":[{"services":[],"stageName":"dev"},{"services":[],"stageName":"hardening"},{"services":[],"stageName":"production"}],"totalCount":3}`,
				`{"project":"sockshop","result":"pass","status":"succeeded","message":"Project sockshop created","eventContext":null}`,
				`{"code":409,"message":"project \"sockshop\": already exists"}`,
				`{"code":400,"message":"invalid shipyard: stage \"dev\" has deployment_strategy \"canary\"; use one of direct, blue_green_service, user_managed"}`,
				`{"nextPageKey":"0","resources":[{"resourceURI":"/helm/carts/Chart.yaml"},{"resourceURI":"/helm/carts/templates/service.yaml"},{"resourceURI":"/helm/carts/values.yaml"},{"resourceURI":"/metadata.yaml"}],"totalCount":4}`,
				`{"code":400,"message":"The deployment strategy blue_green is invalid: stage \"dev\" must use \"direct\" or \"duplicate\""}`,
				`"teststrategy":"manual","deploymentstrategy":"","start":"2020-11-16T09:00:00.000Z","end":"2020-11-16T09:15:00.000Z","labels":{"buildId":"42"}`,
				`{"code":400,"message":"The time frame format is invalid. Use the format [duration]m, e.g.: 5m"}`,
				`{"code":400,"message":"Stage not found"}`,
				`{"code":404,"message":"bridge credentials are not configured; set them with POST /v1/config/bridge"}`,
				`{"password":"","user":"keptn"}`,
				`{"code":404,"message":"service \"carts-db\" not found in project \"sockshop\""}`,
				`{"events":null,"pageSize":20}`,
			},
			output: []string{
				`"shkeptncontext":"63617274-732d-4275-a96c-642d34322020"`,
				`"type":"sh.keptn.event.start-evaluation"`,
				"\n\"\"\n", // the response of POST /v1/config/bridge
			},
			check: checkWorkflowContexts,
		},
		{
			file: "configuration-service.md",
			quoted: []string{
				`{"branch":"master","version":"`,
				`{"nextPageKey":"0","stages":[{"services":[],"stageName":"dev"},{"services":[],"stageName":"production"}],"totalCount":2}`,
				`"nextPageKey":"0"`,
				`{"code":404,"message":"Project not found"}`,
			},
			output: []string{`{"branch":"dev","version":"`, "objectives:\n  - sli: response_time_p95\n", `"projectName":"sockshop"`},
		},
		{
			file: "mongodb-datastore.md",
			quoted: []string{
				`"nextPageKey":"1"`,
				`"totalCount":2`,
				`{"code":608,"message":"pageSize in query should be less than or equal to 100"}`,
				`{"code":400,"message":"invalid fromTime \"yesterday\": it must be an RFC 3339 time such as 2020-11-16T09:00:00.000Z"}`,
			},
			output: []string{`"id":"evaluation-fail"`, `"id":"evaluation-pass"`},
			check:  checkDatastoreFilter,
		},
	}
	for _, guide := range guides {
		t.Run(guide.file, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("../../docs", guide.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range guide.quoted {
				if !strings.Contains(string(doc), want) {
					t.Errorf("%s does not quote %s", guide.file, want)
				}
			}

			token := "docs-token"
			p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token)
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", walkthrough(t, string(doc)))
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "KEPTN_ENDPOINT="+p.endpoint, "KEPTN_API_TOKEN="+token)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("walkthrough of %s failed: %v\n%s", guide.file, err, out)
			}
			for _, want := range append(guide.quoted, guide.output...) {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %s:\n%s", want, out)
				}
			}
			if guide.check != nil {
				guide.check(t, string(out))
			}
		})
	}
}

// checkWorkflowContexts checks the claim of the api guide that each workflow
// operation returns an eventContext with a new keptnContext: project create,
// two service creates, the evaluation, service delete and project delete.
func checkWorkflowContexts(t *testing.T, out string) {
	t.Helper()
	eventContext := regexp.MustCompile(`(?m)^\{"keptnContext":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})","token":"eyJ[^"]+"\}$`)
	seen := map[string]bool{}
	for _, m := range eventContext.FindAllStringSubmatch(out, -1) {
		if seen[m[1]] {
			t.Errorf("keptnContext %s was returned twice", m[1])
		}
		seen[m[1]] = true
	}
	// The event sent to POST /v1/event keeps its derived context.
	delete(seen, "63617274-732d-4275-a96c-642d34322020")
	if len(seen) != 6 {
		t.Errorf("found %d eventContexts of workflows with a random keptnContext, want 6:\n%s", len(seen), out)
	}
}

// checkDatastoreFilter checks the claim of the datastore guide that its
// filter query returns the passed evaluation only. Its response is the one
// list of events without pageSize, because only GET /event returns that field.
func checkDatastoreFilter(t *testing.T, out string) {
	t.Helper()
	var filtered []string
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, `{"events":`) && !strings.Contains(line, `"pageSize"`) {
			filtered = append(filtered, line)
		}
	}
	if len(filtered) != 1 {
		t.Fatalf("found %d responses of the filter query, want 1:\n%s", len(filtered), out)
	}
	if !strings.Contains(filtered[0], `"id":"evaluation-pass"`) {
		t.Errorf("filter data.result:pass did not return evaluation-pass: %s", filtered[0])
	}
	if strings.Contains(filtered[0], `"id":"evaluation-fail"`) {
		t.Errorf("filter data.result:pass returned evaluation-fail: %s", filtered[0])
	}
}

// TestDocsGoExcerpts checks that every Go block in docs/ is an excerpt of
// the quickstart example or of the handlers, which tests run, so the guides
// show code that compiles and works. Indentation is ignored.
func TestDocsGoExcerpts(t *testing.T) {
	var sources strings.Builder
	for _, pattern := range []string{"../../examples/quickstart/*.go", "../../handlers/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sources.WriteString(dedent(string(raw)))
		}
	}

	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, file := range docs {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
			blocks++
			if !strings.Contains(sources.String(), dedent(block[1])) {
				t.Errorf("%s: this Go block is not in examples/quickstart or handlers:\n%s", filepath.Base(file), block[1])
			}
		}
	}
	if blocks == 0 {
		t.Error("docs/ has no Go block")
	}
}

// dedent removes the leading whitespace of every line.
func dedent(text string) string {
	var out strings.Builder
	for line := range strings.Lines(text) {
		out.WriteString(strings.TrimLeft(line, " \t"))
	}
	return out.String()
}

// TestDocsListEveryOption checks that docs/options.md names every flag and
// environment variable that keptn-api --help prints.
func TestDocsListEveryOption(t *testing.T) {
	help, err := exec.Command(binary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("keptn-api --help: %v\n%s", err, help)
	}
	doc, err := os.ReadFile("../../docs/options.md")
	if err != nil {
		t.Fatal(err)
	}
	options := regexp.MustCompile(`--[a-z-]+|\$KEPTN_[A-Z_]+`).FindAllString(string(help), -1)
	if len(options) < 14 {
		t.Fatalf("found %d flags and variables in --help, want at least 14:\n%s", len(options), help)
	}
	for _, option := range options {
		if option == "--help" {
			continue
		}
		if name := strings.TrimPrefix(option, "$"); !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/options.md does not list %s", name)
		}
	}
}
