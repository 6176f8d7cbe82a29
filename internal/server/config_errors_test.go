package server_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// errorCase is one request and the error it must get. A message ending in
// "..." is a prefix.
type errorCase struct {
	name, method, path, body string
	status                   int
	code                     int64
	message                  string
}

func runErrorCases(t *testing.T, s *configServer, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, c.method, configBase+c.path, c.body)
			checkMessage(t, r, c.status, c.code, c.message)
		})
	}
}

// TestConfigErrorTexts checks the status, body code and message of the
// documented errors of each operation.
func TestConfigErrorTexts(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "errs", "dev", "prod")
	s.createService(t, "errs", "carts", "dev")
	s.putFile(t, projectLevel("errs"), "shipyard.yaml", "stages: []\n")

	const (
		bad       = http.StatusBadRequest
		missing   = http.StatusNotFound
		resource  = `{"resourceURI":"x.yaml","resourceContent":"eA=="}`
		resources = `{"resources":[{"resourceURI":"x.yaml","resourceContent":"eA=="}]}`
		creds     = `{"gitUser":"u","gitToken":"t","gitRemoteURI":"https://127.0.0.1:1/nonexistent.git"}`
	)
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete

	runErrorCases(t, s, []errorCase{
		// Projects.
		{"project exists", post, "/project", `{"projectName":"errs"}`, bad, bad, "Project already exists"},
		{"project unknown", get, "/project/nope", "", missing, missing, "Project not found"},
		{"project update unknown", put, "/project/nope", creds, bad, bad, "Project does not exist"},
		{"project update without credentials", put, "/project/errs", `{"gitUser":"u"}`, bad, bad, "Project not updated as Git credentials were missing"},
		{"project update other name", put, "/project/errs", `{"projectName":"other","gitUser":"u","gitToken":"t","gitRemoteURI":"file:///x"}`, bad, bad, `projectName "other"...`},

		// Stages.
		{"stage create unknown project", post, "/project/nope/stage", `{"stageName":"dev"}`, bad, bad, "Project does not exist."},
		{"stage exists", post, "/project/errs/stage", `{"stageName":"dev"}`, bad, bad, "Could not create stage...."},
		{"stages of unknown project", get, "/project/nope/stage", "", missing, missing, "Project not found"},
		{"stage of unknown project", get, "/project/nope/stage/dev", "", missing, missing, "Project not found"},
		{"stage unknown", get, "/project/errs/stage/nope", "", missing, missing, "Stage not found"},
		{"stage delete unknown", del, "/project/errs/stage/nope", "", missing, missing, "Stage not found"},

		// Services.
		{"service create unknown stage", post, "/project/errs/stage/nope/service", `{"serviceName":"carts"}`, bad, bad, "Stage nope does not exist."},
		{"service create unknown project", post, "/project/nope/stage/dev/service", `{"serviceName":"carts"}`, bad, bad, "Project nope does not exist."},
		{"service exists", post, "/project/errs/stage/dev/service", `{"serviceName":"carts"}`, bad, bad, "Service already exists"},
		{"services of unknown project", get, "/project/nope/stage/dev/service", "", missing, missing, "Project not found"},
		{"services of unknown stage", get, "/project/errs/stage/nope/service", "", missing, missing, "Stage not found"},
		{"service unknown", get, "/project/errs/stage/dev/service/nope", "", missing, missing, "Service not found"},
		{"service of unknown stage", get, "/project/errs/stage/nope/service/carts", "", missing, missing, "Stage not found"},
		{"service delete unknown", del, "/project/errs/stage/dev/service/nope", "", bad, bad, "Service does not exist"},
		{"service delete unknown stage", del, "/project/errs/stage/nope/service/carts", "", bad, bad, "Stage nope does not exist."},
		{"project services of unknown project", get, "/project/nope/service", "", missing, missing, "Project not found"},
		{"project service of unknown project", get, "/project/nope/service/carts", "", missing, missing, "Project not found"},

		// Project resources.
		{"project resources of unknown project", get, "/project/nope/resource", "", missing, missing, "Project does not exist"},
		{"project resources create unknown project", post, "/project/nope/resource", resources, bad, bad, "Project does not exist"},
		{"project resources update unknown project", put, "/project/nope/resource", resources, bad, bad, "Project does not exist"},
		{"project resource of unknown project", get, "/project/nope/resource/x.yaml", "", missing, missing, "Project not found"},
		{"project resource unknown", get, "/project/errs/resource/x.yaml", "", missing, missing, "Project resource not found"},
		{"project resource update unknown project", put, "/project/nope/resource/x.yaml", resource, bad, bad, "Project does not exist"},
		{"project resource delete unknown project", del, "/project/nope/resource/x.yaml", "", bad, bad, "Project does not exist"},
		{"project resource delete unknown", del, "/project/errs/resource/x.yaml", "", missing, missing, "Project resource not found"},

		// Stage resources.
		{"stage resources of unknown stage", get, "/project/errs/stage/nope/resource", "", missing, missing, "Stage does not exist"},
		{"stage resources of unknown project", get, "/project/nope/stage/dev/resource", "", missing, missing, "Stage does not exist"},
		{"stage resources create unknown stage", post, "/project/errs/stage/nope/resource", resources, bad, bad, "Stage does not exist"},
		{"stage resources update unknown stage", put, "/project/errs/stage/nope/resource", resources, bad, bad, "Stage does not exist"},
		{"stage resource of unknown stage", get, "/project/errs/stage/nope/resource/x.yaml", "", missing, missing, "Stage not found"},
		{"stage resource of unknown project", get, "/project/nope/stage/dev/resource/x.yaml", "", missing, missing, "Project not found"},
		{"stage resource unknown", get, "/project/errs/stage/dev/resource/x.yaml", "", missing, missing, "Stage resource not found"},
		{"stage resource update unknown stage", put, "/project/errs/stage/nope/resource/x.yaml", resource, bad, bad, "Stage does not exist"},

		// Service resources.
		{"service resources create unknown project", post, "/project/nope/stage/dev/service/carts/resource", resources, bad, bad, "Project nope does not exist"},
		{"service resources create unknown stage", post, "/project/errs/stage/nope/service/carts/resource", resources, bad, bad, "Stage nope does not exist within project errs"},
		{"service resources create unknown service", post, "/project/errs/stage/dev/service/nope/resource", resources, bad, bad, "Service nope does not exist within stage dev of project errs"},
		{"service resources update unknown service", put, "/project/errs/stage/dev/service/nope/resource", resources, bad, bad, "Service nope does not exist within stage dev of project errs"},
		{"service resource of unknown service", get, "/project/errs/stage/dev/service/nope/resource/x.yaml", "", missing, missing, "Service not found"},
		{"service resource unknown", get, "/project/errs/stage/dev/service/carts/resource/x.yaml", "", missing, missing, "Service resource not found"},
		{"service resource update unknown service", put, "/project/errs/stage/dev/service/nope/resource/x.yaml", resource, bad, bad, "Service does not exist"},
		{"service resource update unknown stage", put, "/project/errs/stage/nope/service/carts/resource/x.yaml", resource, bad, bad, "Service does not exist"},

		// Service resources of all stages: the service is missing in prod.
		{"all-stages create unknown project", post, "/project/nope/service/carts/resource", resources, missing, missing, "Project does not exist"},
		{"all-stages create service missing in a stage", post, "/project/errs/service/carts/resource", resources, missing, missing, "Service does not exist"},
		{"all-stages create unknown service", post, "/project/errs/service/nope/resource", resources, missing, missing, "Service does not exist"},

		// Approvals and remediations.
		{"approval of unknown approval", get, "/project/errs/stage/dev/service/carts/approval/a-1", "", missing, missing, "Approval not found"},
		{"approvals of unknown project", get, "/project/nope/stage/dev/service/carts/approval", "", missing, missing, "Project not found"},
		{"approvals of unknown service", get, "/project/errs/stage/dev/service/nope/approval", "", missing, missing, "Service not found"},
		{"approval close not open", del, "/project/errs/stage/dev/service/carts/approval/a-1", "", missing, missing, "Could not close approval: open approval not found"},
		{"approval close unknown project", del, "/project/nope/stage/dev/service/carts/approval/a-1", "", bad, bad, "Could not close approval: project not found"},
		{"approval close unknown stage", del, "/project/errs/stage/nope/service/carts/approval/a-1", "", bad, bad, "Could not close approval: stage not found"},
		{"approval close unknown service", del, "/project/errs/stage/dev/service/nope/approval/a-1", "", bad, bad, "Could not close approval: service not found"},
		{"approval open unknown project", post, "/project/nope/stage/dev/service/carts/approval", `{"eventId":"a-1","keptnContext":"c-1"}`, missing, missing, "Project not found"},
		{"approval open unknown stage", post, "/project/errs/stage/nope/service/carts/approval", `{"eventId":"a-1","keptnContext":"c-1"}`, missing, missing, "Stage not found"},
		{"approval open unknown service", post, "/project/errs/stage/dev/service/nope/approval", `{"eventId":"a-1","keptnContext":"c-1"}`, missing, missing, "Service not found"},
		{"remediations of unknown service", get, "/project/errs/stage/dev/service/nope/remediation", "", missing, missing, "Service not found"},
		{"remediations of a context of unknown project", get, "/project/nope/stage/dev/service/carts/remediation/c-1", "", missing, missing, "Project not found"},
		{"remediation close not open", del, "/project/errs/stage/dev/service/carts/remediation/c-1", "", missing, missing, "Could not close remediation: open remediation not found"},
		{"remediation close unknown project", del, "/project/nope/stage/dev/service/carts/remediation/c-1", "", bad, bad, "Could not close remediation: project not found"},
		{"remediation open unknown project", post, "/project/nope/stage/dev/service/carts/remediation", `{"eventId":"r-1","keptnContext":"c-1"}`, missing, missing, "Project not found"},
		{"remediation open unknown service", post, "/project/errs/stage/dev/service/nope/remediation", `{"eventId":"r-1","keptnContext":"c-1"}`, missing, missing, "Service not found"},
	})

	t.Run("incomplete upstream", func(t *testing.T) {
		for _, body := range []string{
			`{"projectName":"partial","gitUser":"u"}`,
			`{"projectName":"partial","gitToken":"secret-token-1"}`,
			`{"projectName":"partial","gitUser":"u","gitRemoteURI":"file:///x"}`,
		} {
			r := s.send(t, http.MethodPost, configBase+"/project", body)
			checkStatus(t, r, http.StatusBadRequest)
			if strings.Contains(string(r.body), "secret-token-1") {
				t.Errorf("error body contains the token: %s", r.body)
			}
		}
		r := s.send(t, http.MethodGet, configBase+"/project/partial", "")
		checkStatus(t, r, http.StatusNotFound)
	})
}

// TestConfigInvalidNames checks that project, stage and service names
// outside the Kubernetes-safe rule are rejected with a message that quotes
// them, and that names at the length limits are accepted.
func TestConfigInvalidNames(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "names", "dev")

	invalid := []string{"Sock_Shop", "1abc", "abc-", "-abc", "a.b", "a b", "ünï", ""}
	for _, name := range append(invalid, strings.Repeat("a", 31)) {
		t.Run("project "+name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+"/project", jsonBody(t, map[string]string{"projectName": name}))
			checkNamesValue(t, r, name)
		})
	}
	for _, name := range append(invalid, strings.Repeat("s", 33)) {
		t.Run("stage "+name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+"/project/names/stage", jsonBody(t, map[string]string{"stageName": name}))
			checkNamesValue(t, r, name)
		})
	}
	for _, name := range append(invalid, strings.Repeat("v", 44)) {
		t.Run("service "+name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+"/project/names/stage/dev/service", jsonBody(t, map[string]string{"serviceName": name}))
			checkNamesValue(t, r, name)
		})
	}
	t.Run("stage put with invalid name", func(t *testing.T) {
		r := s.send(t, http.MethodPut, configBase+"/project/names/stage/Dev", `{}`)
		checkNamesValue(t, r, "Dev")
	})
	t.Run("service put with invalid name", func(t *testing.T) {
		r := s.send(t, http.MethodPut, configBase+"/project/names/stage/dev/service/Carts", `{}`)
		checkNamesValue(t, r, "Carts")
	})

	t.Run("nothing created", func(t *testing.T) {
		pg := s.getPage(t, "/project", "projects")
		pg.checkPaging(t, "0", 1)
		got := s.getProject(t, "names")
		stages := got.stages(t)
		if names := stageNames(stages); !slices.Equal(names, []string{"dev"}) {
			t.Errorf("stages = %v, want dev", names)
		}
		if len(stages) == 1 && len(stages[0].Services) != 0 {
			t.Errorf("services of dev = %v, want none", serviceNames(stages[0].Services))
		}
		entries, err := os.ReadDir(s.dir + "/repos")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "names.git" && !strings.HasPrefix(e.Name(), ".") {
				t.Errorf("repository directory has %s", e.Name())
			}
		}
	})

	t.Run("names at the length limits", func(t *testing.T) {
		project := "p" + strings.Repeat("x", 28) + "9"
		stage := "s" + strings.Repeat("x", 30) + "9"
		service := "v" + strings.Repeat("x", 41) + "9"
		s.createProject(t, project, stage)
		s.createService(t, project, service, stage)
		s.putFile(t, serviceLevel(project, stage, service), "values.yaml", "ok: true\n")
	})
}

// traversalURIs are resourceURIs that could leave the level's directory or
// reach git internals.
var traversalURIs = []string{
	"..", "../x.yaml", "a/../../x.yaml", "a/..", "./x.yaml", ".",
	".git", ".git/config", "a/.git/hooks/pre-commit", ".GIT/config",
	"a\x00b.yaml", "a\\b.yaml", "..\\x.yaml", "a\nb.yaml",
	"//x.yaml", "a//b.yaml", "a/", "/", "",
}

// TestConfigPathTraversal sends traversal URIs in the path and in bodies of
// every write at every level, and checks that each is a 400 naming the URI
// and that nothing was written.
func TestConfigPathTraversal(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "travel"
	s.createProject(t, p, "dev", "prod")
	s.createService(t, p, "carts", "dev", "prod")
	levels := []resourceLevel{projectLevel(p), stageLevel(p, "dev"), serviceLevel(p, "dev", "carts"), defaultsLevel(p, "carts")}

	listings := map[resourceLevel][]string{}
	for _, l := range levels {
		listings[l] = s.listURIs(t, l)
	}
	heads := map[string]string{}
	for _, b := range []string{"master", "dev", "prod"} {
		heads[b] = branchHead(t, s.repo(p), b)
	}

	for _, l := range levels {
		for _, uri := range traversalURIs {
			body := jsonBody(t, map[string]any{"resources": []map[string]string{{"resourceURI": uri, "resourceContent": b64("pwned")}}})
			for _, method := range []string{http.MethodPost, http.MethodPut} {
				r := s.send(t, method, configBase+l.resourceList(), body)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s %s with resourceURI %q: status = %d, want 400; body: %s", method, l.resourceList(), uri, r.status, r.body)
				} else {
					checkNamesValue(t, r, uri)
				}
			}
			if uri == "" || strings.HasSuffix(uri, "/") {
				// An encoded trailing slash is covered with the router's
				// path handling in TestConfigRawTraversalPaths.
				continue
			}
			// Every byte is escaped, dots too: an unescaped "." or ".."
			// segment is cleaned away by the router, which the raw path
			// test covers.
			path := string(l) + "/resource/" + escapeAll(uri)
			single := jsonBody(t, map[string]string{"resourceURI": "x.yaml", "resourceContent": b64("pwned")})
			for _, method := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
				r := s.send(t, method, configBase+path, single)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s %s: status = %d, want 400; body: %s", method, path, r.status, r.body)
					continue
				}
				// The router may reject the path before the handler sees
				// the URI, and then names the path as sent.
				msg := errorMessage(r)
				if !strings.Contains(msg, strconv.Quote(uri)) && !strings.Contains(msg, escapeAll(uri)) {
					t.Errorf("%s %s: message = %q, want it to name the URI", method, path, msg)
				}
			}
		}
	}

	t.Run("a mix of good and bad items writes nothing", func(t *testing.T) {
		body := resourcesBody(t, "good.yaml", "ok", "../bad.yaml", "pwned")
		r := s.send(t, http.MethodPost, configBase+projectLevel(p).resourceList(), body)
		checkNamesValue(t, r, "../bad.yaml")
	})

	t.Run("nothing written", func(t *testing.T) {
		for _, l := range levels {
			if got := s.listURIs(t, l); !slices.Equal(got, listings[l]) {
				t.Errorf("listing of %s changed from %q to %q", l, listings[l], got)
			}
		}
		for b, head := range heads {
			if got := branchHead(t, s.repo(p), b); got != head {
				t.Errorf("branch %s moved from %s to %s", b, head, got)
			}
		}
		entries, err := os.ReadDir(s.dir + "/repos")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != p+".git" && !strings.HasPrefix(e.Name(), ".") {
				t.Errorf("repository directory has %s", e.Name())
			}
		}
		for _, name := range []string{"x.yaml", "pwned", "config"} {
			if _, err := os.Stat(s.dir + "/" + name); err == nil {
				t.Errorf("data directory has %s", name)
			}
		}
	})
}

// escapeAll percent-encodes every byte of s.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// TestConfigRawTraversalPaths sends resourceURIs with "." or ".." segments
// as raw path segments, which a client can send unencoded, and URIs ending
// in an encoded "/". Each must be a 400 like the same URI in a body. The
// router must neither redirect to the cleaned path, because an HTTP client
// that follows the redirect repeats the write at a location the caller
// never named, nor drop the encoded slash.
func TestConfigRawTraversalPaths(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "rawpath"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	heads := map[string]string{"master": branchHead(t, s.repo(p), "master"), "dev": branchHead(t, s.repo(p), "dev")}
	body := jsonBody(t, map[string]string{"resourceURI": "x.yaml", "resourceContent": b64("pwned")})

	for _, path := range []string{
		"/project/rawpath/resource/..",
		"/project/rawpath/resource/.",
		"/project/rawpath/resource/a/../x.yaml",
		"/project/rawpath/resource/a/./x.yaml",
		"/project/rawpath/resource//x.yaml",
		"/project/rawpath/resource/a//x.yaml",
		"/project/rawpath/stage/dev/resource/../../../resource/x.yaml",
		"/project/rawpath/resource/x.yaml%2F",
		"/project/rawpath/resource/%2F",
	} {
		t.Run(path, func(t *testing.T) {
			r := s.send(t, http.MethodPut, configBase+path, body)
			checkStatus(t, r, http.StatusBadRequest)
		})
	}

	t.Run("nothing written", func(t *testing.T) {
		for b, head := range heads {
			if got := branchHead(t, s.repo(p), b); got != head {
				t.Errorf("branch %s moved from %s to %s", b, head, got)
			}
		}
	})

	// A client with Go's default redirect policy repeats a PUT on a 307.
	t.Run("client following redirects", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPut, s.url+configBase+"/project/rawpath/stage/dev/resource/../../../resource/x.yaml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-token", testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
		if got := branchHead(t, s.repo(p), "master"); got != heads["master"] {
			t.Errorf("a write sent to stage dev moved the main branch from %s to %s", heads["master"], got)
		}
	})
}

// TestConfigRejectedBodies checks missing bodies, a null item, an item
// without resourceURI and content that is not base64.
func TestConfigRejectedBodies(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "bodies"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	svc := serviceLevel(p, "dev", "carts")
	head := branchHead(t, s.repo(p), "dev")

	post, put := http.MethodPost, http.MethodPut
	const unprocessable = http.StatusUnprocessableEntity
	runErrorCases(t, s, []errorCase{
		{"project create", post, "/project", "", unprocessable, 602, "project in body is required"},
		{"project update", put, "/project/" + p, "", unprocessable, 602, "project in body is required"},
		{"stage create", post, "/project/" + p + "/stage", "", unprocessable, 602, "stage in body is required"},
		{"stage update", put, "/project/" + p + "/stage/dev", "", unprocessable, 602, "stage in body is required"},
		{"service create", post, "/project/" + p + "/stage/dev/service", "", unprocessable, 602, "service in body is required"},
		{"service update", put, "/project/" + p + "/stage/dev/service/carts", "", unprocessable, 602, "service in body is required"},
		{"project resources", post, projectLevel(p).resourceList(), "", unprocessable, 602, "resources in body is required"},
		{"stage resources", put, stageLevel(p, "dev").resourceList(), "", unprocessable, 602, "resources in body is required"},
		{"service resources", post, svc.resourceList(), "", unprocessable, 602, "resources in body is required"},
		{"all-stages resources", post, defaultsLevel(p, "carts").resourceList(), "", unprocessable, 602, "resources in body is required"},
		{"project resource", put, projectLevel(p).resourcePath("x.yaml"), "", unprocessable, 602, "resource in body is required"},
		{"stage resource", put, stageLevel(p, "dev").resourcePath("x.yaml"), "", unprocessable, 602, "resource in body is required"},
		{"service resource", put, svc.resourcePath("x.yaml"), "", unprocessable, 602, "resource in body is required"},
		{"approval", post, string(svc) + "/approval", "", unprocessable, 602, "approval in body is required"},
		{"remediation", post, string(svc) + "/remediation", "", unprocessable, 602, "remediation in body is required"},
		{"event", post, "/event", "", unprocessable, 602, "body in body is required"},

		{"resource list with null item", post, svc.resourceList(), `{"resources":[null]}`, unprocessable, 602, "..."},
		{"resource list with null after a good item", post, svc.resourceList(), `{"resources":[{"resourceURI":"a.yaml","resourceContent":"YQ=="},null]}`, unprocessable, 602, "..."},
		{"resource item without URI", post, svc.resourceList(), `{"resources":[{"resourceContent":"YQ=="}]}`, unprocessable, 602, "..."},
		{"resource item empty", put, svc.resourceList(), `{"resources":[{}]}`, unprocessable, 602, "..."},
		{"resource without URI", put, svc.resourcePath("x.yaml"), `{"resourceContent":"YQ=="}`, unprocessable, 602, "resourceURI in body is required"},
		{"resources member missing", post, svc.resourceList(), `{}`, unprocessable, 602, "..."},
		{"malformed resources", post, svc.resourceList(), `{"resources":[`, http.StatusBadRequest, http.StatusBadRequest, `parsing resources body from "" failed, because ...`},
	})

	for _, content := range []string{"not base64!", "YQ", "YQ==YQ==", "YW Jj", "YWJj====", "-_-_"} {
		t.Run("invalid base64 "+content, func(t *testing.T) {
			body := jsonBody(t, map[string]any{"resources": []map[string]string{
				{"resourceURI": "good.yaml", "resourceContent": b64("ok")},
				{"resourceURI": "bad.yaml", "resourceContent": content},
			}})
			r := s.send(t, http.MethodPost, configBase+svc.resourceList(), body)
			checkStatus(t, r, http.StatusBadRequest)
			if msg := errorMessage(r); !strings.Contains(msg, "bad.yaml") {
				t.Errorf("message = %q, want it to name bad.yaml", msg)
			}
			single := jsonBody(t, map[string]string{"resourceURI": "bad.yaml", "resourceContent": content})
			r = s.send(t, http.MethodPut, configBase+svc.resourcePath("bad.yaml"), single)
			checkStatus(t, r, http.StatusBadRequest)
		})
	}

	t.Run("nothing written", func(t *testing.T) {
		if got := branchHead(t, s.repo(p), "dev"); got != head {
			t.Errorf("branch dev moved from %s to %s", head, got)
		}
		s.checkURIs(t, svc, "/metadata.yaml")
	})

	t.Run("empty content is an empty file", func(t *testing.T) {
		s.expect(t, http.StatusCreated, http.MethodPut, svc.resourcePath("empty.yaml"), `{"resourceURI":"empty.yaml"}`)
		if content, _ := s.readFile(t, svc, "empty.yaml", ""); content != "" {
			t.Errorf("content = %q, want empty", content)
		}
	})
}

// TestConfigBodyTooLarge checks that a resource write over the body limit
// gets a 413 and writes nothing.
func TestConfigBodyTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 4096
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := startConfigServerWith(t, limit, log)
	const p = "large"
	s.createProject(t, p, "dev")
	head := branchHead(t, s.repo(p), "dev")

	big := strings.Repeat("x", 2*limit)
	message := "request body is larger than the limit of 4096 bytes"
	for _, chunked := range []bool{false, true} {
		var opts []requestOption
		if chunked {
			opts = append(opts, withChunkedBody())
		}
		r := s.send(t, http.MethodPost, configBase+stageLevel(p, "dev").resourceList(), resourcesBody(t, "big.yaml", big), opts...)
		checkError(t, r, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, message)
		r = s.send(t, http.MethodPut, configBase+stageLevel(p, "dev").resourcePath("big.yaml"),
			jsonBody(t, map[string]string{"resourceURI": "big.yaml", "resourceContent": b64(big)}), opts...)
		checkError(t, r, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, message)
	}
	if got := branchHead(t, s.repo(p), "dev"); got != head {
		t.Errorf("branch dev moved from %s to %s", head, got)
	}
	s.checkURIs(t, stageLevel(p, "dev"), "/metadata.yaml")
}

// TestConfigResourceURILength checks the byte limits of a resourceURI: 255
// per segment and 4096 in all are accepted, one more is a 400 that quotes
// the start of the URI, at every level and in the path of a single resource.
func TestConfigResourceURILength(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "long", "dev")
	s.createService(t, "long", "carts", "dev")
	levels := []resourceLevel{projectLevel("long"), stageLevel("long", "dev"), serviceLevel("long", "dev", "carts"), defaultsLevel("long", "carts")}

	segment := strings.Repeat("s", 255)
	// 15 segments of 255 bytes with their slashes, one of 254 and "/x" are
	// 4096 bytes.
	longest := strings.Repeat(segment+"/", 15) + segment[:254] + "/x"
	if len(longest) != 4096 {
		t.Fatalf("longest URI has %d bytes, want 4096", len(longest))
	}
	s.putFile(t, stageLevel("long", "dev"), segment, "ok\n")
	s.putFile(t, projectLevel("long"), longest, "ok\n")

	tooLong := map[string]string{
		"segment":         segment + "s",
		"path":            longest + "x",
		"deep path":       strings.Repeat("a/", 40000) + "x",
		"deep long items": strings.Repeat(segment+"/", 300) + "x",
	}
	head := branchHead(t, s.repo("long"), "master")
	for name, uri := range tooLong {
		t.Run(name, func(t *testing.T) {
			body := resourcesBody(t, uri, "no")
			for _, l := range levels {
				r := s.send(t, http.MethodPost, configBase+l.resourceList(), body)
				checkLengthError(t, "POST "+string(l), r, uri)
			}
			single := jsonBody(t, map[string]string{"resourceURI": "x", "resourceContent": b64("no")})
			r := s.send(t, http.MethodPut, configBase+projectLevel("long").resourcePath(uri), single)
			checkLengthError(t, "PUT single", r, uri)
		})
	}
	if got := branchHead(t, s.repo("long"), "master"); got != head {
		t.Errorf("master moved from %s to %s", head, got)
	}
}

// checkLengthError checks a 400 that names a byte limit and quotes the
// first bytes of the URI without the whole of a long one.
func checkLengthError(t *testing.T, label string, r response, uri string) {
	t.Helper()
	if !checkStatus(t, r, http.StatusBadRequest) {
		return
	}
	msg := errorMessage(r)
	if !strings.Contains(msg, "the maximum is") || !strings.Contains(msg, strconv.Quote(uri[:32])[1:]) {
		t.Errorf("%s: message = %.200q, want the limit and the start of the URI", label, msg)
	}
	if len(msg) > 400 {
		t.Errorf("%s: message has %d bytes, want a short one", label, len(msg))
	}
}

// TestConfigDisableUpstreamSyncStrict checks that every operation with the
// disableUpstreamSync parameter rejects a value that is not a boolean with
// the 422 of the datastore's boolean parameters, and accepts true and false.
func TestConfigDisableUpstreamSyncStrict(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "sync", "dev")
	s.createService(t, "sync", "carts", "dev")
	s.putFile(t, serviceLevel("sync", "dev", "carts"), "x.yaml", "x\n")
	s.putFile(t, projectLevel("sync"), "x.yaml", "x\n")
	s.putFile(t, stageLevel("sync", "dev"), "x.yaml", "x\n")

	paths := []string{
		"/project",
		projectLevel("sync").resourceList(), projectLevel("sync").resourcePath("x.yaml"),
		stageLevel("sync", "dev").resourceList(), stageLevel("sync", "dev").resourcePath("x.yaml"),
		serviceLevel("sync", "dev", "carts").resourceList(), serviceLevel("sync", "dev", "carts").resourcePath("x.yaml"),
		defaultsLevel("sync", "carts").resourceList(), defaultsLevel("sync", "carts").resourcePath("x.yaml"),
	}
	for _, path := range paths {
		r := s.send(t, http.MethodGet, configBase+path+"?disableUpstreamSync=maybe", "")
		checkError(t, r, http.StatusUnprocessableEntity, 601, `disableUpstreamSync in query must be of type bool: "maybe"`)
		for _, ok := range []string{"true", "false"} {
			s.expect(t, http.StatusOK, http.MethodGet, path+"?disableUpstreamSync="+ok, "")
		}
	}
}
