package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestConfigResourcePathConflicts writes resources that would make one path
// a file and a directory at once: each write is a 409 naming both paths, and
// nothing is written.
func TestConfigResourcePathConflicts(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "cp", "dev")
	s.createService(t, "cp", "carts", "dev")
	project, stage, service := projectLevel("cp"), stageLevel("cp", "dev"), serviceLevel("cp", "dev", "carts")
	s.putFile(t, project, "cf2", "file\n")
	s.putFile(t, project, "cf3/x", "x\n")
	heads := map[string]string{"master": branchHead(t, s.repo("cp"), "master"), "dev": branchHead(t, s.repo("cp"), "dev")}

	chart := buildArchive(t, []tarEntry{{name: "carts/"}, {name: "carts/a", content: "a\n"}, {name: "carts/a/b", content: "b\n"}})
	post, put := http.MethodPost, http.MethodPut
	cases := []struct {
		name, method, path, body string
		want                     []string // quoted paths the message names
	}{
		{"file and file below it in one request", post, project.resourceList(), resourcesBody(t, "cf", "hi", "cf/y", "hi"), []string{`"cf/y"`, `"cf"`}},
		{"below a stored file", post, project.resourceList(), resourcesBody(t, "cf2/y", "hi"), []string{`"cf2/y"`, `"cf2"`}},
		{"file over a stored directory", put, project.resourceList(), resourcesBody(t, "cf3", "hi"), []string{`"cf3"`, "directory"}},
		{"single PUT below a stored file", put, project.resourcePath("cf2/z"), `{"resourceURI":"cf2/z","resourceContent":"aGk="}`, []string{`"cf2/z"`, `"cf2"`}},
		{"below metadata.yaml of a service", post, service.resourceList(), resourcesBody(t, "metadata.yaml/x", "hi"), []string{`"metadata.yaml/x"`, `"metadata.yaml"`}},
		{"stage file named like a service directory", post, stage.resourceList(), resourcesBody(t, "carts", "hi"), []string{`"carts"`, "directory"}},
		{"chart with a file and a file below it", post, service.resourceList(), uploadBody(t, "helm/carts.tgz", chart), []string{`"helm/carts/a/b"`, `"helm/carts/a"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.send(t, tc.method, configBase+tc.path, tc.body)
			if !checkStatus(t, r, http.StatusConflict) {
				return
			}
			msg := errorMessage(r)
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message = %q, want it to contain %s", msg, want)
				}
			}
		})
	}

	for branch, want := range heads {
		if got := branchHead(t, s.repo("cp"), branch); got != want {
			t.Errorf("branch %s moved from %s to %s", branch, want, got)
		}
	}
	if files := gitFiles(t, s.repo("cp"), "master"); !slices.Equal(files, []string{"cf2", "cf3/x", "metadata.yaml"}) {
		t.Errorf("files of master = %v", files)
	}
}

// TestConfigServiceResourcesAllStagesAtomic writes service resources to all
// stages where only the last stage has a path conflict: the write is a 409
// naming that stage, and no stage gets a commit.
func TestConfigServiceResourcesAllStagesAtomic(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "atomic", "dev", "staging", "production")
	s.createService(t, "atomic", "carts", "dev", "staging", "production")
	s.putFile(t, serviceLevel("atomic", "production", "carts"), "cf", "file\n")
	stages := []string{"dev", "staging", "production"}
	heads := map[string]string{}
	for _, stage := range stages {
		heads[stage] = branchHead(t, s.repo("atomic"), stage)
	}

	for _, method := range []string{http.MethodPost, http.MethodPut} {
		body := resourcesBody(t, "ok.yaml", "ok: 1\n", "cf/y", "hi")
		r := s.send(t, method, configBase+defaultsLevel("atomic", "carts").resourceList(), body)
		if !checkStatus(t, r, http.StatusConflict) {
			continue
		}
		if msg := errorMessage(r); !strings.Contains(msg, `"production"`) || !strings.Contains(msg, `"cf/y"`) || !strings.Contains(msg, `"cf"`) {
			t.Errorf("%s: message = %q, want it to name the stage production, cf/y and cf", method, msg)
		}
	}
	r := s.send(t, http.MethodPut, configBase+defaultsLevel("atomic", "carts").resourcePath("cf/z"), `{"resourceURI":"cf/z","resourceContent":"aGk="}`)
	checkStatus(t, r, http.StatusConflict)

	for _, stage := range stages {
		if got := branchHead(t, s.repo("atomic"), stage); got != heads[stage] {
			t.Errorf("stage %s moved from %s to %s", stage, heads[stage], got)
		}
	}
}
