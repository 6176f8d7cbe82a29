package server_test

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// checkNoProject checks that nothing of a project exists: no view, no
// repository and no stored event.
func checkNoProject(t *testing.T, s *configServer, project string) {
	t.Helper()
	checkMessage(t, s.send(t, http.MethodGet, configBase+"/project/"+project, ""), http.StatusNotFound, http.StatusNotFound, "Project not found")
	checkGone(t, s.repo(project))
	if n := s.totalCount(t, query("project", project)); n != 0 {
		t.Errorf("%d events of project %s are stored", n, project)
	}
}

// TestWorkflowProjectRetry fails project creations with a git upstream at
// several steps and checks that each failure is a 400 with the cause, leaves
// nothing behind and does not keep a retry from succeeding.
func TestWorkflowProjectRetry(t *testing.T) {
	t.Parallel()
	const user, token, wrongToken = "keptn-bot", "tok-7d2e9c41a6b8", "tok-wrong-3f8a1b"
	logs := &syncBuffer{}
	s := startConfigServerWith(t, defaultBodyLimit, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	remote := startGitRemote(t, user, token)
	remoteURL, remoteDir := remote.newRepo(t, "sockshop")

	t.Run("upstream rejects the token", func(t *testing.T) {
		r := s.send(t, http.MethodPost, apiBase+"/project", projectBody(t, "sockshop", threeStages, user, wrongToken, remoteURL))
		checkMessage(t, r, http.StatusBadRequest, http.StatusBadRequest, `project "sockshop": git upstream failed: list remote branches: authentication required...`)
		checkNoSecret(t, "error body", string(r.body), wrongToken)
		checkNoProject(t, s, "sockshop")
	})

	t.Run("upstream unreachable", func(t *testing.T) {
		r := s.send(t, http.MethodPost, apiBase+"/project", projectBody(t, "sockshop", threeStages, user, token, "http://127.0.0.1:1/sockshop.git"))
		checkMessage(t, r, http.StatusBadRequest, http.StatusBadRequest, `project "sockshop": git upstream failed: list remote branches: ...`)
		if msg := errorMessage(r); !strings.Contains(msg, "connection refused") {
			t.Errorf("message = %q, want the connection error", msg)
		}
		checkNoSecret(t, "error body", string(r.body), token)
		checkNoProject(t, s, "sockshop")
	})

	// The upstream starts rejecting the user after the given number of
	// pushes: after the main branch (so the first stage fails) and after
	// the main branch and all three stages (so shipyard.yaml fails).
	for _, pushes := range []int64{1, 4} {
		var seen atomic.Int64
		remote.setHold(func(r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") && seen.Add(1) == pushes {
				remote.setUser("someone-else")
			}
		})
		r := s.send(t, http.MethodPost, apiBase+"/project", projectBody(t, "sockshop", threeStages, user, token, remoteURL))
		remote.setHold(nil)
		remote.setUser(user)
		if seen.Load() != pushes {
			t.Errorf("after %d pushes: the upstream saw %d pushes", pushes, seen.Load())
		}
		checkMessage(t, r, http.StatusBadRequest, http.StatusBadRequest, `project "sockshop": git upstream failed: push: authentication required...`)
		checkNoSecret(t, "error body", string(r.body), token)
		checkNoProject(t, s, "sockshop")
	}

	ec := s.expectContext(t, http.MethodPost, "/project", projectBody(t, "sockshop", threeStages, user, token, remoteURL))
	p := s.getProject(t, "sockshop")
	if got := stageNames(p.stages(t)); !slices.Equal(got, []string{"dev", "hardening", "production"}) {
		t.Errorf("stages = %v, want dev, hardening, production", got)
	}
	if deref(p.GitRemoteURI) != remoteURL || deref(p.GitUser) != user {
		t.Errorf("gitRemoteURI = %s, gitUser = %s", deref(p.GitRemoteURI), deref(p.GitUser))
	}
	for _, branch := range []string{"master", "dev", "hardening", "production"} {
		if got, want := branchHead(t, remoteDir, branch), branchHead(t, s.repo("sockshop"), branch); got == "" || got != want {
			t.Errorf("upstream %s = %q, want the local head %q", branch, got, want)
		}
	}
	if got := git(t, "--git-dir="+remoteDir, "show", "master:shipyard.yaml"); got != strings.TrimSpace(threeStages) {
		t.Errorf("shipyard.yaml on the upstream = %q", got)
	}
	log := s.followLog(t, ec)
	if got := log[1].Data.Message; got != "Project sockshop mirrors the git upstream "+remoteURL {
		t.Errorf("second log message = %q, want the upstream line", got)
	}
	event := s.eventOfType(t, ec.KeptnContext, "sh.keptn.internal.event.project.create")
	checkData(t, "project.create", event["data"], map[string]any{
		"project": "sockshop", "shipyard": b64(threeStages), "gitUser": user, "gitRemoteURL": remoteURL, "eventContext": nil,
	})
	checkNoSecret(t, "server log", logs.String(), token)
	checkNoSecret(t, "server log", logs.String(), wrongToken)
}
