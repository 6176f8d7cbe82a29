package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// expandedService is an ExpandedService with the members whose absence or
// null matters kept raw.
type expandedService struct {
	ServiceName      string                     `json:"serviceName"`
	CreationDate     string                     `json:"creationDate"`
	DeployedImage    *string                    `json:"deployedImage"`
	LastEventTypes   map[string]json.RawMessage `json:"lastEventTypes"`
	OpenApprovals    json.RawMessage            `json:"openApprovals"`
	OpenRemediations json.RawMessage            `json:"openRemediations"`
}

type expandedStage struct {
	StageName string            `json:"stageName"`
	Services  []expandedService `json:"services"`
}

type expandedProject struct {
	ProjectName  string          `json:"projectName"`
	CreationDate string          `json:"creationDate"`
	GitUser      *string         `json:"gitUser"`
	GitRemoteURI *string         `json:"gitRemoteURI"`
	Shipyard     *string         `json:"shipyard"`
	Stages       json.RawMessage `json:"stages"`
}

func (p expandedProject) stages(t *testing.T) []expandedStage {
	t.Helper()
	var stages []expandedStage
	if err := json.Unmarshal(p.Stages, &stages); err != nil {
		t.Fatalf("stages %s: %v", p.Stages, err)
	}
	return stages
}

func (s *configServer) getProject(t *testing.T, project string) expandedProject {
	t.Helper()
	r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+project, "")
	var p expandedProject
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode project: %v; body: %s", err, r.body)
	}
	return p
}

func stageNames(stages []expandedStage) []string {
	var names []string
	for _, st := range stages {
		names = append(names, st.StageName)
	}
	return names
}

func serviceNames(services []expandedService) []string {
	names := []string{}
	for _, svc := range services {
		names = append(names, svc.ServiceName)
	}
	return names
}

// checkNewService checks a service that no event has touched yet.
func checkNewService(t *testing.T, label string, svc expandedService, from, to time.Time) {
	t.Helper()
	checkEpochNanos(t, label+" creationDate", svc.CreationDate, from, to)
	if svc.DeployedImage != nil {
		t.Errorf("%s deployedImage = %q, want it omitted", label, *svc.DeployedImage)
	}
	if svc.LastEventTypes != nil {
		t.Errorf("%s lastEventTypes = %v, want it omitted", label, svc.LastEventTypes)
	}
	if string(svc.OpenApprovals) != "null" {
		t.Errorf("%s openApprovals = %s, want null", label, svc.OpenApprovals)
	}
	if string(svc.OpenRemediations) != "null" {
		t.Errorf("%s openRemediations = %s, want null", label, svc.OpenRemediations)
	}
}

// stageInfoEntry is one entry of ExpandedServiceWithStageInfo.stageInfo.
type stageInfoEntry struct {
	StageName      string                     `json:"stageName"`
	DeployedImage  string                     `json:"deployedImage"`
	LastEventTypes map[string]json.RawMessage `json:"lastEventTypes"`
}

type serviceWithStageInfo struct {
	ServiceName  string           `json:"serviceName"`
	CreationDate string           `json:"creationDate"`
	StageInfo    []stageInfoEntry `json:"stageInfo"`
}

func stageInfoNames(svc serviceWithStageInfo) []string {
	var names []string
	for _, e := range svc.StageInfo {
		names = append(names, e.StageName)
	}
	return names
}

// TestConfigProjectLifecycle creates a project with three stages and two
// services through the API and walks the project, stage and service views,
// the ensure-exists PUTs and the deletes.
func TestConfigProjectLifecycle(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "sockshop"
	before := time.Now()

	s.expect(t, http.StatusNoContent, http.MethodPost, "/project", `{"projectName":"sockshop"}`)
	t.Run("stages null before the first stage", func(t *testing.T) {
		got := s.getProject(t, p)
		if string(got.Stages) != "null" {
			t.Errorf("stages = %s, want null", got.Stages)
		}
		if got.GitUser != nil || got.GitRemoteURI != nil {
			t.Errorf("gitUser = %v, gitRemoteURI = %v, want both omitted", deref(got.GitUser), deref(got.GitRemoteURI))
		}
	})

	for _, stage := range []string{"dev", "hardening", "production"} {
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+p+"/stage", jsonBody(t, map[string]any{"stageName": stage, "services": []any{}}))
	}
	s.createService(t, p, "carts", "dev", "hardening", "production")
	s.createService(t, p, "carts-db", "dev", "hardening")
	after := time.Now()

	t.Run("project view", func(t *testing.T) {
		got := s.getProject(t, p)
		if got.ProjectName != p {
			t.Errorf("projectName = %q, want %q", got.ProjectName, p)
		}
		checkEpochNanos(t, "creationDate", got.CreationDate, before, after)
		stages := got.stages(t)
		if names := stageNames(stages); !slices.Equal(names, []string{"dev", "hardening", "production"}) {
			t.Fatalf("stages = %v, want dev, hardening, production", names)
		}
		wantServices := [][]string{{"carts", "carts-db"}, {"carts", "carts-db"}, {"carts"}}
		for i, st := range stages {
			if names := serviceNames(st.Services); !slices.Equal(names, wantServices[i]) {
				t.Errorf("services of %s = %v, want %v", st.StageName, names, wantServices[i])
			}
			for _, svc := range st.Services {
				checkNewService(t, st.StageName+"/"+svc.ServiceName, svc, before, after)
			}
		}
	})

	t.Run("project listing", func(t *testing.T) {
		pg := s.getPage(t, "/project", "projects")
		pg.checkPaging(t, "0", 1)
		var projects []expandedProject
		pg.decodeItems(t, &projects)
		if len(projects) != 1 || projects[0].ProjectName != p {
			t.Fatalf("projects = %s, want only %s", pg.items, p)
		}
		if names := stageNames(projects[0].stages(t)); !slices.Equal(names, []string{"dev", "hardening", "production"}) {
			t.Errorf("stages in the listing = %v", names)
		}
	})

	t.Run("stage listing pages", func(t *testing.T) {
		first := s.getPage(t, "/project/"+p+"/stage?pageSize=2", "stages")
		first.checkPaging(t, "2", 3)
		var stages []expandedStage
		first.decodeItems(t, &stages)
		if names := stageNames(stages); !slices.Equal(names, []string{"dev", "hardening"}) {
			t.Errorf("first page = %v, want dev, hardening", names)
		}

		last := s.getPage(t, "/project/"+p+"/stage?pageSize=2&nextPageKey=2", "stages")
		last.checkPaging(t, "0", 3)
		stages = nil
		last.decodeItems(t, &stages)
		if names := stageNames(stages); !slices.Equal(names, []string{"production"}) {
			t.Errorf("last page = %v, want production", names)
		}

		beyond := s.getPage(t, "/project/"+p+"/stage?nextPageKey=7", "stages")
		beyond.checkPaging(t, "0", 3)
		if string(beyond.items) != "[]" {
			t.Errorf("page beyond the end = %s, want []", beyond.items)
		}
	})

	t.Run("single stage view", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p+"/stage/hardening", "")
		var st expandedStage
		if err := json.Unmarshal(r.body, &st); err != nil {
			t.Fatal(err)
		}
		if st.StageName != "hardening" || !slices.Equal(serviceNames(st.Services), []string{"carts", "carts-db"}) {
			t.Errorf("stage = %s", r.body)
		}
	})

	t.Run("services of a stage", func(t *testing.T) {
		pg := s.getPage(t, "/project/"+p+"/stage/dev/service?pageSize=1", "services")
		pg.checkPaging(t, "1", 2)
		var services []expandedService
		pg.decodeItems(t, &services)
		if names := serviceNames(services); !slices.Equal(names, []string{"carts"}) {
			t.Errorf("first page = %v, want carts", names)
		}

		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p+"/stage/dev/service/carts-db", "")
		var svc expandedService
		if err := json.Unmarshal(r.body, &svc); err != nil {
			t.Fatal(err)
		}
		if svc.ServiceName != "carts-db" {
			t.Errorf("serviceName = %q, want carts-db", svc.ServiceName)
		}
		checkNewService(t, "dev/carts-db", svc, before, after)
	})

	t.Run("services with stage info", func(t *testing.T) {
		pg := s.getPage(t, "/project/"+p+"/service", "services")
		pg.checkPaging(t, "0", 2)
		var services []serviceWithStageInfo
		pg.decodeItems(t, &services)
		if len(services) != 2 || services[0].ServiceName != "carts" || services[1].ServiceName != "carts-db" {
			t.Fatalf("services = %s, want carts, carts-db", pg.items)
		}
		if got := stageInfoNames(services[0]); !slices.Equal(got, []string{"dev", "hardening", "production"}) {
			t.Errorf("stageInfo of carts = %v", got)
		}
		if got := stageInfoNames(services[1]); !slices.Equal(got, []string{"dev", "hardening"}) {
			t.Errorf("stageInfo of carts-db = %v", got)
		}
		checkEpochNanos(t, "carts creationDate", services[0].CreationDate, before, after)

		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p+"/service/carts-db", "")
		var single serviceWithStageInfo
		if err := json.Unmarshal(r.body, &single); err != nil {
			t.Fatal(err)
		}
		if single.ServiceName != "carts-db" || !slices.Equal(stageInfoNames(single), []string{"dev", "hardening"}) {
			t.Errorf("GET /service/carts-db = %s", r.body)
		}

		r = s.send(t, http.MethodGet, configBase+"/project/"+p+"/service/orders", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service not found")
	})

	t.Run("stage put ensures it exists", func(t *testing.T) {
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p+"/stage/staging", `{"stageName":"staging"}`)
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p+"/stage/staging", `{}`)
		names := stageNames(s.getProject(t, p).stages(t))
		if !slices.Equal(names, []string{"dev", "hardening", "production", "staging"}) {
			t.Errorf("stages after PUT = %v", names)
		}
		if head := branchHead(t, s.repo(p), "staging"); head != branchHead(t, s.repo(p), "master") {
			t.Errorf("branch staging = %q, want the head of master", head)
		}
		r := s.send(t, http.MethodPut, configBase+"/project/"+p+"/stage/staging", `{"stageName":"qa"}`)
		checkStatus(t, r, http.StatusBadRequest)
	})

	t.Run("service put ensures it exists", func(t *testing.T) {
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p+"/stage/staging/service/carts", `{"serviceName":"carts"}`)
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p+"/stage/staging/service/carts", `{}`)
		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p+"/stage/staging/service", "")
		if n := strings.Count(string(r.body), `"serviceName":"carts"`); n != 1 {
			t.Errorf("carts appears %d times in staging: %s", n, r.body)
		}
		if files := gitFiles(t, s.repo(p), "staging"); !slices.Contains(files, "carts/metadata.yaml") {
			t.Errorf("files of branch staging = %v, want carts/metadata.yaml", files)
		}
		r = s.send(t, http.MethodPut, configBase+"/project/"+p+"/stage/staging/service/carts", `{"serviceName":"orders"}`)
		checkStatus(t, r, http.StatusBadRequest)
	})

	t.Run("service delete", func(t *testing.T) {
		s.putFile(t, serviceLevel(p, "staging", "carts"), "values.yaml", "replicas: 1\n")
		s.expect(t, http.StatusNoContent, http.MethodDelete, "/project/"+p+"/stage/staging/service/carts", "")
		r := s.send(t, http.MethodGet, configBase+"/project/"+p+"/stage/staging/service/carts", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Service not found")
		for _, f := range gitFiles(t, s.repo(p), "staging") {
			if strings.HasPrefix(f, "carts/") {
				t.Errorf("branch staging still has %s", f)
			}
		}
		r = s.send(t, http.MethodDelete, configBase+"/project/"+p+"/stage/staging/service/carts", "")
		checkError(t, r, http.StatusBadRequest, http.StatusBadRequest, "Service does not exist")
	})

	t.Run("stage delete", func(t *testing.T) {
		s.expect(t, http.StatusNoContent, http.MethodDelete, "/project/"+p+"/stage/staging", "")
		r := s.send(t, http.MethodGet, configBase+"/project/"+p+"/stage/staging", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Stage not found")
		if head := branchHead(t, s.repo(p), "staging"); head != "" {
			t.Errorf("branch staging still exists at %s", head)
		}
		names := stageNames(s.getProject(t, p).stages(t))
		if !slices.Equal(names, []string{"dev", "hardening", "production"}) {
			t.Errorf("stages after the delete = %v", names)
		}
	})

	t.Run("project delete and re-create", func(t *testing.T) {
		s.putFile(t, projectLevel(p), "shipyard.yaml", "stages: []\n")
		s.expect(t, http.StatusNoContent, http.MethodDelete, "/project/"+p, "")
		r := s.send(t, http.MethodGet, configBase+"/project/"+p, "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Project not found")
		if head := branchHead(t, s.repo(p), "master"); head != "" {
			t.Errorf("the repository still has master at %s", head)
		}
		pg := s.getPage(t, "/project", "projects")
		pg.checkPaging(t, "0", 0)
		if string(pg.items) != "[]" {
			t.Errorf("projects after the delete = %s, want []", pg.items)
		}
		// Deleting an unknown project succeeds, as in Keptn 0.7.
		s.expect(t, http.StatusNoContent, http.MethodDelete, "/project/"+p, "")

		s.createProject(t, p, "dev")
		got := s.getProject(t, p)
		if names := stageNames(got.stages(t)); !slices.Equal(names, []string{"dev"}) {
			t.Errorf("stages of the re-created project = %v, want dev", names)
		}
		s.checkURIs(t, projectLevel(p), "/metadata.yaml")
		s.checkURIs(t, stageLevel(p, "dev"), "/metadata.yaml")
	})
}

// TestConfigListPaging checks the paging rules of every list operation of
// the collection: bounds of pageSize, rejected nextPageKey values, and the
// members of an empty page.
func TestConfigListPaging(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)

	t.Run("empty project listing", func(t *testing.T) {
		pg := s.getPage(t, "/project", "projects")
		pg.checkPaging(t, "0", 0)
		if string(pg.items) != "[]" {
			t.Errorf("projects = %s, want []", pg.items)
		}
	})

	for _, name := range []string{"alpha", "bravo", "charlie"} {
		s.createProject(t, name)
	}
	s.createProject(t, "paging", "dev")
	s.createService(t, "paging", "carts", "dev")

	t.Run("project pages", func(t *testing.T) {
		var names []string
		pages := []struct{ key, next string }{{"", "2"}, {"2", "0"}}
		for _, pp := range pages {
			pg := s.getPage(t, "/project?pageSize=2&nextPageKey="+pp.key, "projects")
			pg.checkPaging(t, pp.next, 4)
			var projects []expandedProject
			pg.decodeItems(t, &projects)
			for _, pr := range projects {
				names = append(names, pr.ProjectName)
			}
		}
		if !slices.Equal(names, []string{"alpha", "bravo", "charlie", "paging"}) {
			t.Errorf("projects over two pages = %v, want creation order", names)
		}
	})

	lists := []struct {
		name, path, items string
		empty             bool // the list has no item
	}{
		{"projects", "/project", "projects", false},
		{"stages", "/project/paging/stage", "stages", false},
		{"services of a stage", "/project/paging/stage/dev/service", "services", false},
		{"services with stage info", "/project/paging/service", "services", false},
		{"project resources", "/project/paging/resource", "resources", false},
		{"stage resources", "/project/paging/stage/dev/resource", "resources", false},
		{"service resources", "/project/paging/stage/dev/service/carts/resource", "resources", false},
		{"service resources of all stages", "/project/paging/service/carts/resource", "resources", false},
		{"approvals", "/project/paging/stage/dev/service/carts/approval", "approvals", true},
		{"remediations", "/project/paging/stage/dev/service/carts/remediation", "remediations", true},
		{"remediations of a context", "/project/paging/stage/dev/service/carts/remediation/ctx-1", "remediations", true},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			r := s.send(t, http.MethodGet, configBase+l.path+"?pageSize=51", "")
			checkError(t, r, http.StatusUnprocessableEntity, 608, "pageSize in query should be less than or equal to 50")
			r = s.send(t, http.MethodGet, configBase+l.path+"?pageSize=0", "")
			checkError(t, r, http.StatusUnprocessableEntity, 609, "pageSize in query should be greater than or equal to 1")
			for _, key := range []string{"-1", "abc", "1.5"} {
				r = s.send(t, http.MethodGet, configBase+l.path+"?nextPageKey="+key, "")
				checkStatus(t, r, http.StatusBadRequest)
				if msg := errorMessage(r); !strings.Contains(msg, `"`+key+`"`) {
					t.Errorf("nextPageKey=%s: message = %q, want it to name the value", key, msg)
				}
			}

			s.getPage(t, l.path+"?pageSize=50", l.items)
			beyond := s.getPage(t, l.path+"?nextPageKey=1000", l.items)
			if string(beyond.items) != "[]" {
				t.Errorf("page beyond the end = %s, want []", beyond.items)
			}
			if beyond.nextPageKey == nil || *beyond.nextPageKey != "0" {
				t.Errorf("nextPageKey beyond the end = %v, want \"0\"", deref(beyond.nextPageKey))
			}
		})
	}

	t.Run("empty lists omit totalCount", func(t *testing.T) {
		for _, l := range lists {
			if !l.empty {
				continue
			}
			pg := s.getPage(t, l.path, l.items)
			pg.checkPaging(t, "0", 0)
			if string(pg.items) != "[]" {
				t.Errorf("%s = %s, want []", l.name, pg.items)
			}
		}
	})
}
