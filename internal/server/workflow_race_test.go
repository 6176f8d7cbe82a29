package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// sendConcurrently sends the requests at once and waits for the responses.
// It only reports transport errors, because the statuses depend on the order
// in which the server runs the requests.
func (s *testServer) sendConcurrently(t *testing.T, requests ...[3]string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, r := range requests {
		wg.Go(func() {
			method, path, body := r[0], r[1], r[2]
			req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
			if err != nil {
				t.Errorf("build request %s %s: %v", method, path, err)
				return
			}
			req.Header.Set("x-token", testToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := s.client.Do(req)
			if err != nil {
				t.Errorf("%s %s: %v", method, path, err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
}

// checkProjectConsistent checks that a project either does not exist and
// has no stored event, or exists with exactly one creation event.
func (s *configServer) checkProjectConsistent(t *testing.T, round int, project string) {
	t.Helper()
	r := s.send(t, http.MethodGet, configBase+"/project/"+project, "")
	events := s.totalCount(t, query("project", project))
	creates := s.totalCount(t, query("project", project, "type", "sh.keptn.internal.event.project.create"))
	switch r.status {
	case http.StatusNotFound:
		if events != 0 {
			t.Errorf("round %d: project %s is deleted but %d of its events are stored", round, project, events)
		}
	case http.StatusOK:
		if creates != 1 {
			t.Errorf("round %d: project %s exists with %d project.create events, want 1", round, project, creates)
		}
	default:
		t.Errorf("round %d: GET project %s: status = %d; body: %s", round, project, r.status, r.body)
	}
}

// TestWorkflowProjectCreateDeleteRace sends project creations, project
// deletions and service creations for one project name at once and checks
// that each round ends with the project and its events in agreement.
func TestWorkflowProjectCreateDeleteRace(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const project = "race"
	create := [3]string{http.MethodPost, apiBase + "/project", projectBody(t, project, "stages:\n  - name: dev\n")}
	remove := [3]string{http.MethodDelete, apiBase + "/project/" + project, ""}
	addService := [3]string{http.MethodPost, apiBase + "/project/" + project + "/service", `{"serviceName":"carts"}`}

	for round := range 10 {
		s.send(t, http.MethodDelete, apiBase+"/project/"+project, "")
		s.sendConcurrently(t, create, remove, create, remove, create, remove, create, remove)
		s.checkProjectConsistent(t, round, project)
	}

	for round := range 10 {
		s.send(t, http.MethodDelete, apiBase+"/project/"+project, "")
		s.expectContext(t, http.MethodPost, "/project", create[2])
		s.sendConcurrently(t, addService, remove, addService, addService)
		s.checkProjectConsistent(t, round, project)
	}
}
