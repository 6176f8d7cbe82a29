package server_test

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runWorkflowCases sends error cases to the api collection. A case with
// code 0 expects the status as the body code.
func runWorkflowCases(t *testing.T, s *configServer, cases []errorCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, tt.method, apiBase+tt.path, tt.body)
			code := tt.code
			if code == 0 {
				code = int64(tt.status)
			}
			checkMessage(t, r, tt.status, code, tt.message)
		})
	}
}

// errorsProject creates the project "errs" with the stages dev and prod and
// the service carts through the api collection.
func errorsProject(t *testing.T, s *configServer) {
	t.Helper()
	s.expectContext(t, http.MethodPost, "/project", projectBody(t, "errs", "stages:\n  - name: dev\n  - name: prod\n"))
	s.expectContext(t, http.MethodPost, "/project/errs/service", `{"serviceName":"carts"}`)
}

func TestWorkflowProjectErrors(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	errorsProject(t, s)

	runWorkflowCases(t, s, []errorCase{
		{"shipyard not base64", http.MethodPost, "/project", `{"name":"p1","shipyard":"%%%"}`,
			http.StatusBadRequest, 0, `invalid shipyard: it is not standard base64 with "=" padding (RFC 4648)...`},
		{"shipyard not YAML", http.MethodPost, "/project", projectBody(t, "p1", "stages: ["),
			http.StatusBadRequest, 0, "invalid shipyard: yaml: ..."},
		{"shipyard empty", http.MethodPost, "/project", projectBody(t, "p1", ""),
			http.StatusBadRequest, 0, "invalid shipyard: it is empty"},
		{"shipyard without stages", http.MethodPost, "/project", projectBody(t, "p1", "stages: []\n"),
			http.StatusBadRequest, 0, `invalid shipyard: it has no stages; list at least one under "stages"`},
		{"stage name invalid", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: Dev\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage 1: invalid stage name "Dev": use lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`},
		{"stage name missing", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - deployment_strategy: direct\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage 1: invalid stage name "": ...`},
		{"stage name twice", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n  - name: prod\n  - name: dev\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage name "dev" appears twice`},
		{"deployment strategy unknown", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n    deployment_strategy: canary\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage "dev" has deployment_strategy "canary"; use one of direct, blue_green_service, user_managed`},
		{"test strategy unknown", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n    test_strategy: smoke\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage "dev" has test_strategy "smoke"; use one of functional, performance`},
		{"approval strategy unknown", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n    approval_strategy:\n      pass: later\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage "dev" has approval_strategy.pass "later"; use one of automatic, manual`},
		{"remediation strategy unknown", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n    remediation_strategy: manual\n"),
			http.StatusBadRequest, 0, `invalid shipyard: stage "dev" has remediation_strategy "manual"; use one of automated`},
		{"shipyard field unknown", http.MethodPost, "/project", projectBody(t, "p1", "stages:\n  - name: dev\n    deployment: direct\n"),
			http.StatusBadRequest, 0, "invalid shipyard: line 3: field deployment not found"},
		{"project name invalid", http.MethodPost, "/project", projectBody(t, "Sock_shop", "stages:\n  - name: dev\n"),
			http.StatusBadRequest, 0, `invalid project name "Sock_shop": use lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`},
		{"project name too long", http.MethodPost, "/project", projectBody(t, strings.Repeat("p", 31), "stages:\n  - name: dev\n"),
			http.StatusBadRequest, 0, `invalid project name "` + strings.Repeat("p", 31) + `": it has 31 characters, the maximum is 30`},
		{"project name missing", http.MethodPost, "/project", `{"shipyard":"c3RhZ2VzOiBbXQo="}`,
			http.StatusUnprocessableEntity, 602, "name in body is required"},
		{"project exists", http.MethodPost, "/project", projectBody(t, "errs", "stages:\n  - name: dev\n"),
			http.StatusConflict, 0, `project "errs": already exists`},
		{"upstream incomplete", http.MethodPost, "/project", jsonBody(t, map[string]string{"name": "p1", "shipyard": base64.StdEncoding.EncodeToString([]byte("stages:\n  - name: dev\n")), "gitUser": "bot"}),
			http.StatusBadRequest, 0, "incomplete git upstream: gitUser, gitToken and the remote URI must be given together"},
		{"delete unknown project", http.MethodDelete, "/project/nope", "",
			http.StatusNotFound, 0, `project "nope" not found`},
	})

	// None of the rejected creations left anything behind.
	for _, name := range []string{"p1", "sock_shop", "Sock_shop"} {
		checkMessage(t, s.send(t, http.MethodGet, configBase+"/project/"+name, ""), http.StatusNotFound, http.StatusNotFound, "Project not found")
		checkGone(t, s.repo(name))
	}
	if got := stageNames(s.getProject(t, "errs").stages(t)); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("stages of errs = %v, want [dev prod]", got)
	}
}

func TestWorkflowServiceErrors(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	errorsProject(t, s)

	runWorkflowCases(t, s, []errorCase{
		{"unknown project", http.MethodPost, "/project/nope/service", `{"serviceName":"orders"}`,
			http.StatusNotFound, 0, `project "nope" not found`},
		{"name invalid", http.MethodPost, "/project/errs/service", `{"serviceName":"Orders"}`,
			http.StatusBadRequest, 0, `invalid service name "Orders": use lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`},
		{"name missing", http.MethodPost, "/project/errs/service", `{"helmChart":""}`,
			http.StatusUnprocessableEntity, 602, "serviceName in body is required"},
		{"deployment strategy invalid", http.MethodPost, "/project/errs/service", `{"serviceName":"orders","deploymentStrategies":{"dev":"direct","prod":"blue_green"}}`,
			http.StatusBadRequest, 0, `The deployment strategy blue_green is invalid: stage "prod" must use "direct" or "duplicate"`},
		{"deployment strategy of unknown stage", http.MethodPost, "/project/errs/service", `{"serviceName":"orders","deploymentStrategies":{"qa":"direct"}}`,
			http.StatusBadRequest, 0, `invalid deploymentStrategies: project "errs" has no stage "qa"`},
		{"chart not base64", http.MethodPost, "/project/errs/service", `{"serviceName":"orders","helmChart":"%%%"}`,
			http.StatusBadRequest, 0, `invalid helmChart: it is not standard base64 with "=" padding (RFC 4648)`},
		{"chart not an archive", http.MethodPost, "/project/errs/service", jsonBody(t, map[string]string{"serviceName": "orders", "helmChart": b64("not a tgz")}),
			http.StatusBadRequest, 0, `Could not unarchive Helm chart "helm/orders.tgz": ...`},
		{"chart with two top directories", http.MethodPost, "/project/errs/service", jsonBody(t, map[string]string{"serviceName": "orders", "helmChart": base64.StdEncoding.EncodeToString(buildArchive(t, []tarEntry{{name: "a/Chart.yaml", content: "name: a"}, {name: "b/Chart.yaml", content: "name: b"}}))}),
			http.StatusBadRequest, 0, `Unexpected amount of unpacked files in Helm chart "helm/orders.tgz": it must contain one top-level directory, found "a" and "b"`},
		{"service exists", http.MethodPost, "/project/errs/service", `{"serviceName":"carts"}`,
			http.StatusConflict, 0, `service "carts" in stage "dev": already exists`},
		{"delete unknown service", http.MethodDelete, "/project/errs/service/orders", "",
			http.StatusNotFound, 0, `service "orders" not found in project "errs"`},
		{"delete service of unknown project", http.MethodDelete, "/project/nope/service/carts", "",
			http.StatusNotFound, 0, `project "nope" not found`},
	})

	for _, st := range s.getProject(t, "errs").stages(t) {
		if got := serviceNames(st.Services); !slices.Equal(got, []string{"carts"}) {
			t.Errorf("services of stage %s = %v, want [carts]", st.StageName, got)
		}
		for _, f := range gitFiles(t, s.repo("errs"), st.StageName) {
			if strings.HasPrefix(f, "orders/") {
				t.Errorf("branch %s has %s after rejected creations", st.StageName, f)
			}
		}
	}
}

func TestWorkflowEvaluationErrors(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	errorsProject(t, s)
	const path = "/project/errs/stage/dev/service/carts/evaluation"

	runWorkflowCases(t, s, []errorCase{
		{"unknown project", http.MethodPost, "/project/nope/stage/dev/service/carts/evaluation", `{}`,
			http.StatusBadRequest, 0, "Project not found"},
		{"unknown stage", http.MethodPost, "/project/errs/stage/qa/service/carts/evaluation", `{}`,
			http.StatusBadRequest, 0, "Stage not found"},
		{"unknown service", http.MethodPost, "/project/errs/stage/dev/service/orders/evaluation", `{}`,
			http.StatusBadRequest, 0, "Service not found"},
		{"start without end or timeframe", http.MethodPost, path, `{"start":"2020-11-16T10:00:00"}`,
			http.StatusBadRequest, 0, "Please provide a timeframe, e.g., --timeframe=5m, or an end date using --end=..."},
		{"end with timeframe", http.MethodPost, path, `{"start":"2020-11-16T10:00:00","end":"2020-11-16T10:10:00","timeframe":"5m"}`,
			http.StatusBadRequest, 0, "You can not use --end together with --timeframe"},
		{"end without start", http.MethodPost, path, `{"end":"2020-11-16T10:10:00"}`,
			http.StatusBadRequest, 0, "start date is required when using an end date"},
		{"timeframe in hours", http.MethodPost, path, `{"timeframe":"1h"}`,
			http.StatusBadRequest, 0, "The time frame format is invalid. Use the format [duration]m, e.g.: 5m"},
		{"start with a zone", http.MethodPost, path, `{"start":"2020-11-16T10:00:00Z","timeframe":"5m"}`,
			http.StatusBadRequest, 0, `parsing time "2020-11-16T10:00:00Z": extra text: "Z"`},
		{"start without T", http.MethodPost, path, `{"start":"2020-11-16 10:00:00","timeframe":"5m"}`,
			http.StatusBadRequest, 0, `parsing time "2020-11-16 10:00:00" as "2006-01-02T15:04:05": cannot parse " 10:00:00" as "T"`},
		{"end beyond the year 9999", http.MethodPost, path, `{"start":"9999-12-31T23:58:00","timeframe":"5256000m"}`,
			http.StatusBadRequest, 0, "end date 10009-12-28T23:58:00 is after the year 9999; use an earlier start date or a shorter timeframe"},
		{"window under a minute", http.MethodPost, path, `{"start":"2020-11-16T10:00:00","end":"2020-11-16T10:00:30"}`,
			http.StatusBadRequest, 0, "end date must be at least 1 minute after start date"},
		{"end before start", http.MethodPost, path, `{"start":"2020-11-16T10:00:00","end":"2020-11-16T09:00:00"}`,
			http.StatusBadRequest, 0, "end date must be at least 1 minute after start date"},
	})

	// Without a body the window is the last five minutes.
	ec := s.expectContext(t, http.MethodPost, path, "")
	data := s.eventOfType(t, ec.KeptnContext, "sh.keptn.event.start-evaluation")["data"].(map[string]any)
	if data["teststrategy"] != "manual" || data["stage"] != "dev" || data["labels"] != nil {
		t.Errorf("start-evaluation data = %v, want teststrategy manual, stage dev and labels null", data)
	}
}

func TestWorkflowBridgeCredentials(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const password = "s3cret-bridge-password"

	runWorkflowCases(t, s, []errorCase{
		{"read before set", http.MethodGet, "/config/bridge", "",
			http.StatusNotFound, 0, "bridge credentials are not configured; set them with POST /v1/config/bridge"},
		{"empty user", http.MethodPost, "/config/bridge", `{"user":"","password":"x"}`,
			http.StatusBadRequest, 0, "no user provided"},
		{"empty password", http.MethodPost, "/config/bridge", `{"user":"keptn","password":""}`,
			http.StatusBadRequest, 0, "no password provided"},
		{"user with colon", http.MethodPost, "/config/bridge", `{"user":"kep:tn","password":"x"}`,
			http.StatusBadRequest, 0, `invalid user "kep:tn": it must not contain a colon`},
		{"user with NUL", http.MethodPost, "/config/bridge", `{"user":"kep\u0000tn","password":"x"}`,
			http.StatusBadRequest, 0, `invalid user "kep\x00tn": the character U+0000 at byte 3 is not printable; use letters, digits, punctuation and spaces`},
		{"user with newline", http.MethodPost, "/config/bridge", `{"user":"keptn\n","password":"x"}`,
			http.StatusBadRequest, 0, `invalid user "keptn\n": the character U+000A at byte 5 is not printable; use letters, digits, punctuation and spaces`},
		{"user with a format character", http.MethodPost, "/config/bridge", `{"user":"kep\u200btn","password":"x"}`,
			http.StatusBadRequest, 0, `invalid user "kep\u200btn": the character U+200B at byte 3 is not printable; use letters, digits, punctuation and spaces`},
		{"user too long", http.MethodPost, "/config/bridge", jsonBody(t, map[string]string{"user": strings.Repeat("k", 100000), "password": "x"}),
			http.StatusBadRequest, 0, `invalid user "` + strings.Repeat("k", 32) + `"...: it has 100000 bytes, the maximum is 128`},
		{"password too long", http.MethodPost, "/config/bridge", jsonBody(t, map[string]string{"user": "keptn", "password": strings.Repeat("x", 73)}),
			http.StatusBadRequest, 0, "invalid password: it has 73 bytes, the maximum is 72"},
		{"password missing", http.MethodPost, "/config/bridge", `{"user":"keptn"}`,
			http.StatusUnprocessableEntity, 602, "password in body is required"},
	})
	checkGone(t, filepath.Join(s.dir, "bridge-credentials.json"))

	// The longest user name and one of non-ASCII letters are accepted.
	for _, user := range []string{strings.Repeat("k", 128), "Jürgen Müller"} {
		r := s.send(t, http.MethodPost, apiBase+"/config/bridge", jsonBody(t, map[string]string{"user": user, "password": password}))
		checkStatus(t, r, http.StatusOK)
	}

	r := s.send(t, http.MethodPost, apiBase+"/config/bridge", jsonBody(t, map[string]string{"user": "keptn", "password": password}))
	if checkStatus(t, r, http.StatusOK) && strings.TrimSpace(string(r.body)) != `""` {
		t.Errorf("body = %s, want an empty JSON string", r.body)
	}
	r = s.send(t, http.MethodGet, apiBase+"/config/bridge", "")
	if checkStatus(t, r, http.StatusOK) {
		got := decodeObject(t, r)
		if got["user"] != "keptn" || got["password"] != "" {
			t.Errorf("GET /config/bridge = %s, want user keptn and an empty password", r.body)
		}
	}

	path := filepath.Join(s.dir, "bridge-credentials.json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode of %s = %o, want 600", path, mode)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(content), password) {
		t.Errorf("%s holds the password in clear text", path)
	}
}
