package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// checkVersion checks the branch of a write and that it made a new commit,
// which is now the head of that branch in the bare repository.
func (s *configServer) checkVersion(t *testing.T, project string, v versionBody, branch, previous string) {
	t.Helper()
	if v.Branch != branch {
		t.Errorf("Version.branch = %q, want %q", v.Branch, branch)
	}
	if v.UpstreamURL != nil {
		t.Errorf("Version.upstreamURL = %q, want it omitted for a project without upstream", *v.UpstreamURL)
	}
	if v.Version == previous {
		t.Errorf("Version.version = %s, the same as before the write", v.Version)
	}
	if head := branchHead(t, s.repo(project), branch); head != v.Version {
		t.Errorf("branch %s of the repository is at %q, want the returned version %s", branch, head, v.Version)
	}
}

// TestConfigResources writes, reads, lists and deletes resources at the
// project, stage, service and all-stages levels of one project.
func TestConfigResources(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "sockshop"
	s.createProject(t, p, "dev", "hardening", "production")
	s.createService(t, p, "carts", "dev", "hardening", "production")
	s.createService(t, p, "carts-db", "dev", "hardening")
	project := projectLevel(p)
	dev := stageLevel(p, "dev")
	carts := serviceLevel(p, "dev", "carts")

	t.Run("project level", func(t *testing.T) {
		head := branchHead(t, s.repo(p), "master")
		r := s.expect(t, http.StatusCreated, http.MethodPost, project.resourceList(),
			resourcesBody(t, "shipyard.yaml", "stages:\n- name: dev\n", "docs/readme.md", "# sockshop\n"))
		v := decodeVersion(t, r)
		s.checkVersion(t, p, v, "master", head)
		if raw := string(r.body); strings.Contains(raw, "upstreamURL") {
			t.Errorf("Version of a project without upstream has upstreamURL: %s", raw)
		}

		content, meta := s.readFile(t, project, "docs/readme.md", "")
		if content != "# sockshop\n" {
			t.Errorf("docs/readme.md = %q", content)
		}
		if meta.Version != v.Version || meta.Branch != "master" {
			t.Errorf("metadata = %+v, want version %s on master", meta, v.Version)
		}
		// The file is in a real git commit that the git binary reads.
		if got := git(t, "--git-dir="+s.repo(p), "show", v.Version+":docs/readme.md"); got != "# sockshop" {
			t.Errorf("git show of docs/readme.md = %q", got)
		}
		s.checkURIs(t, project, "/docs/readme.md", "/metadata.yaml", "/shipyard.yaml")

		// PUT of the list is the same write with another message.
		r = s.expect(t, http.StatusCreated, http.MethodPut, project.resourceList(), resourcesBody(t, "docs/readme.md", "# sockshop v2\n"))
		v2 := decodeVersion(t, r)
		s.checkVersion(t, p, v2, "master", v.Version)
		if msg := git(t, "--git-dir="+s.repo(p), "log", "-1", "--format=%s", v2.Version); msg != "Updated resources" {
			t.Errorf("commit message = %q, want Updated resources", msg)
		}
	})

	t.Run("project shipyard in the view", func(t *testing.T) {
		got := s.getProject(t, p)
		if got.Shipyard == nil || *got.Shipyard != b64("stages:\n- name: dev\n") {
			t.Errorf("shipyard = %v, want the base64 content of shipyard.yaml", deref(got.Shipyard))
		}
	})

	t.Run("updates and older versions", func(t *testing.T) {
		v1 := s.putFile(t, project, "config/app.yaml", "level: 1\n")
		s.checkVersion(t, p, v1, "master", "")
		v2 := s.putFile(t, project, "config/app.yaml", "level: 2\n")
		s.checkVersion(t, p, v2, "master", v1.Version)
		v3 := s.putFile(t, project, "other.yaml", "x: 1\n")

		content, meta := s.readFile(t, project, "config/app.yaml", "")
		if content != "level: 2\n" {
			t.Errorf("current content = %q, want level 2", content)
		}
		// metadata.version is the head of the branch, not the last commit
		// that touched the file.
		if meta.Version != v3.Version {
			t.Errorf("metadata.version = %s, want the branch head %s", meta.Version, v3.Version)
		}

		content, meta = s.readFile(t, project, "config/app.yaml", "?commitID="+v1.Version)
		if content != "level: 1\n" {
			t.Errorf("content at %s = %q, want level 1", v1.Version, content)
		}
		if meta.Version != v1.Version {
			t.Errorf("metadata.version at commitID = %s, want %s", meta.Version, v1.Version)
		}

		r := s.send(t, http.MethodGet, configBase+project.resourcePath("other.yaml")+"?commitID="+v1.Version, "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Project resource not found")
		r = s.send(t, http.MethodGet, configBase+project.resourcePath("config/app.yaml")+"?commitID="+strings.Repeat("ab", 20), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Project resource not found")
	})

	t.Run("stage level", func(t *testing.T) {
		head := branchHead(t, s.repo(p), "dev")
		v := s.putFile(t, dev, "config/dev.yaml", "env: dev\n")
		s.checkVersion(t, p, v, "dev", head)
		r := s.expect(t, http.StatusCreated, http.MethodPost, dev.resourceList(), resourcesBody(t, "slo.yaml", "objectives: []\n", "/sli.yaml", "indicators: {}\n"))
		s.checkVersion(t, p, decodeVersion(t, r), "dev", v.Version)
		r = s.expect(t, http.StatusCreated, http.MethodPut, dev.resourceList(), resourcesBody(t, "slo.yaml", "objectives: [p90]\n"))
		s.checkVersion(t, p, decodeVersion(t, r), "dev", "")

		content, meta := s.readFile(t, dev, "slo.yaml", "")
		if content != "objectives: [p90]\n" || meta.Branch != "dev" {
			t.Errorf("slo.yaml = %q on %q, want objectives: [p90] on dev", content, meta.Branch)
		}
		// The stage lists its own files and what it inherited from the main
		// branch when it was forked, but not the directories of its
		// services.
		s.checkURIs(t, dev, "/config/dev.yaml", "/metadata.yaml", "/sli.yaml", "/slo.yaml")
		s.checkURIs(t, stageLevel(p, "hardening"), "/metadata.yaml")
		if files := gitFiles(t, s.repo(p), "dev"); !slices.Contains(files, "carts/metadata.yaml") {
			t.Errorf("branch dev has %v, want carts/metadata.yaml in it", files)
		}
	})

	t.Run("service level", func(t *testing.T) {
		head := branchHead(t, s.repo(p), "dev")
		// One %2F-encoded segment.
		v := s.putFile(t, carts, "helm/carts/templates/deployment.yaml", "kind: Deployment\n")
		s.checkVersion(t, p, v, "dev", head)
		// Raw segments.
		body := jsonBody(t, map[string]string{"resourceURI": "ignored", "resourceContent": b64("replicas: 2\n")})
		r := s.expect(t, http.StatusCreated, http.MethodPut, string(carts)+"/resource/helm/carts/values.yaml", body)
		v2 := decodeVersion(t, r)
		s.checkVersion(t, p, v2, "dev", v.Version)
		if msg := git(t, "--git-dir="+s.repo(p), "log", "-1", "--format=%s", v2.Version); msg != "Updated resource: helm/carts/values.yaml" {
			t.Errorf("commit message = %q", msg)
		}

		for _, path := range []string{
			carts.resourcePath("helm/carts/values.yaml"),
			string(carts) + "/resource/helm/carts/values.yaml",
			carts.resourcePath("/helm/carts/values.yaml"),
		} {
			content, meta := s.readPath(t, path)
			if content != "replicas: 2\n" || meta.Branch != "dev" {
				t.Errorf("GET %s = %q on %q", path, content, meta.Branch)
			}
		}
		content, _ := s.readPath(t, string(carts)+"/resource/helm/carts/templates/deployment.yaml")
		if content != "kind: Deployment\n" {
			t.Errorf("deployment.yaml read with raw segments = %q", content)
		}
		if files := gitFiles(t, s.repo(p), "dev"); !slices.Contains(files, "carts/helm/carts/values.yaml") {
			t.Errorf("branch dev = %v, want carts/helm/carts/values.yaml", files)
		}

		r = s.expect(t, http.StatusCreated, http.MethodPost, carts.resourceList(), resourcesBody(t, "a+b.txt", "plus\n"))
		s.checkVersion(t, p, decodeVersion(t, r), "dev", v2.Version)
		r = s.expect(t, http.StatusCreated, http.MethodPut, carts.resourceList(), resourcesBody(t, "a+b.txt", "plus 2\n"))
		s.checkVersion(t, p, decodeVersion(t, r), "dev", "")
		// A "+" in a path segment stays a "+".
		if content, _ := s.readPath(t, string(carts)+"/resource/a+b.txt"); content != "plus 2\n" {
			t.Errorf("a+b.txt = %q", content)
		}

		s.checkURIs(t, carts, "/a+b.txt", "/helm/carts/templates/deployment.yaml", "/helm/carts/values.yaml", "/metadata.yaml")
		s.checkURIs(t, serviceLevel(p, "dev", "carts-db"), "/metadata.yaml")

		// Reads at an older commit of the stage branch.
		r = s.send(t, http.MethodGet, configBase+carts.resourcePath("a+b.txt")+"?commitID="+v2.Version, "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
		r = s.send(t, http.MethodGet, configBase+carts.resourcePath("helm/carts/values.yaml")+"?commitID="+v.Version, "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
		if content, meta := s.readFile(t, carts, "helm/carts/values.yaml", "?commitID="+v2.Version); content != "replicas: 2\n" || meta.Version != v2.Version {
			t.Errorf("values.yaml at %s = %q with metadata.version %s", v2.Version, content, meta.Version)
		}
		s.checkURIs(t, dev, "/config/dev.yaml", "/metadata.yaml", "/sli.yaml", "/slo.yaml")
	})

	t.Run("listed URIs read back", func(t *testing.T) {
		for _, uri := range s.listURIs(t, carts) {
			r := s.send(t, http.MethodGet, configBase+carts.resourcePath(uri), "")
			checkStatus(t, r, http.StatusOK)
		}
	})

	t.Run("all-stages level", func(t *testing.T) {
		defaults := defaultsLevel(p, "carts")
		heads := map[string]string{}
		for _, stage := range []string{"dev", "hardening", "production"} {
			heads[stage] = branchHead(t, s.repo(p), stage)
		}
		r := s.expect(t, http.StatusCreated, http.MethodPost, defaults.resourceList(), resourcesBody(t, "slo.yaml", "comparison: {}\n"))
		if len(r.body) != 0 {
			t.Errorf("body = %s, want none", r.body)
		}
		for _, stage := range []string{"dev", "hardening", "production"} {
			if head := branchHead(t, s.repo(p), stage); head == heads[stage] {
				t.Errorf("branch %s did not move", stage)
			}
			content, meta := s.readFile(t, serviceLevel(p, stage, "carts"), "slo.yaml", "")
			if content != "comparison: {}\n" || meta.Branch != stage {
				t.Errorf("%s: slo.yaml = %q on %q", stage, content, meta.Branch)
			}
		}

		s.expect(t, http.StatusCreated, http.MethodPut, defaults.resourcePath("config/shared.yaml"),
			jsonBody(t, map[string]string{"resourceURI": "config/shared.yaml", "resourceContent": b64("shared: true\n")}))
		s.expect(t, http.StatusCreated, http.MethodPut, defaults.resourceList(), resourcesBody(t, "slo.yaml", "comparison: {x: 1}\n"))
		content, meta := s.readFile(t, defaults, "config/shared.yaml", "")
		if content != "shared: true\n" || meta.Branch != "dev" {
			t.Errorf("config/shared.yaml = %q from %q, want it from dev", content, meta.Branch)
		}
		if content, _ := s.readFile(t, serviceLevel(p, "production", "carts"), "slo.yaml", ""); content != "comparison: {x: 1}\n" {
			t.Errorf("production slo.yaml after PUT = %q", content)
		}
		// The listing is the union over the stages; dev has more files.
		s.checkURIs(t, defaults, "/a+b.txt", "/config/shared.yaml", "/helm/carts/templates/deployment.yaml",
			"/helm/carts/values.yaml", "/metadata.yaml", "/slo.yaml")

		s.expect(t, http.StatusNoContent, http.MethodDelete, defaults.resourcePath("config/shared.yaml"), "")
		for _, stage := range []string{"dev", "hardening", "production"} {
			r := s.send(t, http.MethodGet, configBase+serviceLevel(p, stage, "carts").resourcePath("config/shared.yaml"), "")
			checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
		}
		r = s.send(t, http.MethodGet, configBase+defaults.resourcePath("config/shared.yaml"), "")
		checkStatus(t, r, http.StatusNotFound)
	})

	t.Run("all-stages write needs the service in every stage", func(t *testing.T) {
		before := map[string]string{}
		for _, stage := range []string{"dev", "hardening", "production"} {
			before[stage] = branchHead(t, s.repo(p), stage)
		}
		r := s.send(t, http.MethodPost, configBase+defaultsLevel(p, "carts-db").resourceList(), resourcesBody(t, "slo.yaml", "x\n"))
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service does not exist")
		for stage, head := range before {
			if got := branchHead(t, s.repo(p), stage); got != head {
				t.Errorf("branch %s moved from %s to %s", stage, head, got)
			}
		}
	})

	t.Run("deletes", func(t *testing.T) {
		head := branchHead(t, s.repo(p), "master")
		s.expect(t, http.StatusNoContent, http.MethodDelete, project.resourcePath("docs/readme.md"), "")
		if got := branchHead(t, s.repo(p), "master"); got == head {
			t.Error("the delete made no commit")
		}
		r := s.send(t, http.MethodGet, configBase+project.resourcePath("docs/readme.md"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Project resource not found")
		r = s.send(t, http.MethodDelete, configBase+project.resourcePath("docs/readme.md"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Project resource not found")
		if uris := s.listURIs(t, project); slices.Contains(uris, "/docs/readme.md") {
			t.Errorf("listing after the delete = %v", uris)
		}

		s.expect(t, http.StatusNoContent, http.MethodDelete, dev.resourcePath("config/dev.yaml"), "")
		r = s.send(t, http.MethodGet, configBase+dev.resourcePath("config/dev.yaml"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Stage resource not found")
		r = s.send(t, http.MethodDelete, configBase+dev.resourcePath("config/dev.yaml"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Stage resource not found")

		s.expect(t, http.StatusNoContent, http.MethodDelete, string(carts)+"/resource/helm/carts/values.yaml", "")
		r = s.send(t, http.MethodGet, configBase+carts.resourcePath("helm/carts/values.yaml"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
		r = s.send(t, http.MethodDelete, configBase+carts.resourcePath("helm/carts/values.yaml"), "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service resource not found")
		if files := gitFiles(t, s.repo(p), "dev"); slices.Contains(files, "carts/helm/carts/values.yaml") {
			t.Errorf("branch dev still has carts/helm/carts/values.yaml")
		}
		s.checkURIs(t, carts, "/a+b.txt", "/helm/carts/templates/deployment.yaml", "/metadata.yaml", "/slo.yaml")
	})

	t.Run("resource paging", func(t *testing.T) {
		s.createProject(t, "paging", "qa")
		qa := stageLevel("paging", "qa")
		s.expect(t, http.StatusCreated, http.MethodPost, qa.resourceList(),
			resourcesBody(t, "a.yaml", "a", "b.yaml", "b", "c.yaml", "c", "d.yaml", "d"))
		// The stage has a.yaml to d.yaml and metadata.yaml.
		var got []string
		for _, step := range []struct{ key, next string }{{"0", "2"}, {"2", "4"}, {"4", "0"}} {
			pg := s.getPage(t, qa.resourceList()+"?pageSize=2&nextPageKey="+step.key, "resources")
			pg.checkPaging(t, step.next, 5)
			var items []struct {
				ResourceURI string `json:"resourceURI"`
			}
			pg.decodeItems(t, &items)
			for _, it := range items {
				got = append(got, it.ResourceURI)
			}
		}
		if want := []string{"/a.yaml", "/b.yaml", "/c.yaml", "/d.yaml", "/metadata.yaml"}; !slices.Equal(got, want) {
			t.Errorf("URIs over three pages = %v, want %v", got, want)
		}
	})

	t.Run("base64 both ways", func(t *testing.T) {
		binary := string([]byte{0, 1, 2, 0xff, 0xfe, '\n'})
		s.putFile(t, dev, "bin/blob", binary)
		r := s.expect(t, http.StatusOK, http.MethodGet, dev.resourcePath("bin/blob"), "")
		var res resourceBody
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		if res.ResourceContent != b64(binary) {
			t.Errorf("resourceContent = %q, want %q", res.ResourceContent, b64(binary))
		}
		if res.ResourceURI != "bin/blob" {
			t.Errorf("resourceURI = %q, want bin/blob", res.ResourceURI)
		}
	})
}

// TestConfigResourceURIEscapes checks URIs with characters that need
// percent-encoding in a path segment.
func TestConfigResourceURIEscapes(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "escapes")
	level := projectLevel("escapes")

	for _, uri := range []string{"with space.yaml", "percent%41.yaml", "q?x.yaml", "hash#.yaml", "ü/ñ.yaml"} {
		t.Run(uri, func(t *testing.T) {
			s.putFile(t, level, uri, uri)
			if content, _ := s.readFile(t, level, uri, ""); content != uri {
				t.Errorf("content = %q, want %q", content, uri)
			}
			if uris := s.listURIs(t, level); !slices.Contains(uris, "/"+uri) {
				t.Errorf("listing %q lacks %q", uris, "/"+uri)
			}
		})
	}
}
