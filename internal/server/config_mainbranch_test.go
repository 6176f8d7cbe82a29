package server_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// checkReserved checks a 400 whose message calls the stage name reserved
// and carries no package prefix.
func checkReserved(t *testing.T, label string, r response, stage string) {
	t.Helper()
	if !checkStatus(t, r, http.StatusBadRequest) {
		return
	}
	msg := errorMessage(r)
	if !strings.Contains(msg, `"`+stage+`"`) || !strings.Contains(msg, "reserved") {
		t.Errorf("%s: message = %q, want it to name %q as reserved", label, msg, stage)
	}
	if strings.Contains(msg, "gitrepo") {
		t.Errorf("%s: message = %q has a package prefix", label, msg)
	}
}

// TestStageNamedLikeMainBranch checks that a stage cannot be named like the
// project's main branch in any operation, and that a rejected write leaves
// the main branch as it was.
func TestStageNamedLikeMainBranch(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "st", "dev")
	mainHead := branchHead(t, s.repo("st"), "master")
	get, post, put := http.MethodGet, http.MethodPost, http.MethodPut
	resources := resourcesBody(t, "x.yaml", "x: 1\n")

	for _, c := range []struct{ method, path, body string }{
		{post, "/project/st/stage", `{"stageName":"master"}`},
		{put, "/project/st/stage/master", `{"stageName":"master"}`},
		{get, "/project/st/stage/master", ""},
		{post, "/project/st/stage/master/resource", resources},
		{put, "/project/st/stage/master/resource", resources},
		{put, "/project/st/stage/master/resource/x.yaml", `{"resourceURI":"x.yaml","resourceContent":"eDogMQo="}`},
		{get, "/project/st/stage/master/resource", ""},
		{get, "/project/st/stage/master/resource/metadata.yaml", ""},
		{post, "/project/st/stage/master/service", `{"serviceName":"carts"}`},
		{get, "/project/st/stage/master/service", ""},
	} {
		label := c.method + " " + c.path
		checkReserved(t, label, s.send(t, c.method, configBase+c.path, c.body), "master")
	}
	if got := branchHead(t, s.repo("st"), "master"); got != mainHead {
		t.Errorf("master moved from %s to %s", mainHead, got)
	}

	r := s.send(t, post, "/api/v1/project", projectBody(t, "st2", "stages:\n  - name: dev\n  - name: master\n"))
	checkReserved(t, "POST /v1/project", r, "master")
	s.expect(t, http.StatusNotFound, get, "/project/st2", "")
	checkGone(t, s.repo("st2"))
}

// TestStageNamedLikeUpstreamDefaultBranch creates a project whose upstream's
// default branch has the name of a shipyard stage: the creation is rejected
// before anything is created locally or pushed.
func TestStageNamedLikeUpstreamDefaultBranch(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := startFileUpstreamServer(t, root)
	remote := filepath.Join(root, "dev-default.git")
	initSeededBare(t, remote, "dev")
	refs := git(t, "--git-dir="+remote, "for-each-ref")
	url := "file://" + remote

	r := s.send(t, http.MethodPost, "/api/v1/project", projectBody(t, "clash", "stages:\n  - name: dev\n  - name: prod\n", "u", "unused-token", url))
	checkReserved(t, "POST /v1/project", r, "dev")
	if msg := errorMessage(r); !strings.Contains(msg, "default branch") {
		t.Errorf("message = %q, want it to name the upstream's default branch", msg)
	}
	s.expect(t, http.StatusNotFound, http.MethodGet, "/project/clash", "")
	checkGone(t, s.repo("clash"))
	if got := git(t, "--git-dir="+remote, "for-each-ref"); got != refs {
		t.Errorf("upstream refs changed:\n%s\nwant:\n%s", got, refs)
	}

	// Without the clash the same upstream works, and its default branch
	// stays reserved for later stages.
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project", projectWithUpstream(t, "clash", "u", "unused-token", url))
	checkReserved(t, "POST stage dev", s.send(t, http.MethodPost, configBase+"/project/clash/stage", `{"stageName":"dev"}`), "dev")
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project/clash/stage", `{"stageName":"prod"}`)
}
