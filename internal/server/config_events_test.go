package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// approvalBody is an Approval or a Remediation as the collection returns
// them; members a type does not have stay empty.
type approvalBody struct {
	EventID      string `json:"eventId"`
	KeptnContext string `json:"keptnContext"`
	Time         string `json:"time"`
	Image        string `json:"image"`
	Tag          string `json:"tag"`
	Type         string `json:"type"`
	Action       string `json:"action"`
}

// listOpen returns one page of approvals or remediations, decoded.
func (s *configServer) listOpen(t *testing.T, path, items string) ([]approvalBody, page) {
	t.Helper()
	pg := s.getPage(t, path, items)
	var list []approvalBody
	pg.decodeItems(t, &list)
	return list, pg
}

func eventIDsOf(list []approvalBody) []string {
	ids := []string{}
	for _, a := range list {
		ids = append(ids, a.EventID)
	}
	return ids
}

func checkIDs(t *testing.T, label string, list []approvalBody, want ...string) {
	t.Helper()
	got := eventIDsOf(list)
	if want == nil {
		want = []string{}
	}
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", label, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %v, want %v", label, got, want)
			return
		}
	}
}

// getService returns the view of one service in one stage.
func (s *configServer) getService(t *testing.T, project, stage, service string) expandedService {
	t.Helper()
	r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+project+"/stage/"+stage+"/service/"+service, "")
	var svc expandedService
	if err := json.Unmarshal(r.body, &svc); err != nil {
		t.Fatalf("decode service: %v; body: %s", err, r.body)
	}
	return svc
}

// TestConfigApprovals opens, lists, reads and closes approvals through the
// approval operations.
func TestConfigApprovals(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "approvals"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	base := "/project/" + p + "/stage/dev/service/carts/approval"

	t.Run("open", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodPost, base, `{"eventId":"a-1","keptnContext":"ctx-1","time":"2020-11-16 09:28:21.640382915 +0000 UTC","image":"carts","tag":"0.12.1"}`)
		if len(r.body) != 0 {
			t.Errorf("body = %s, want none", r.body)
		}
		s.expect(t, http.StatusOK, http.MethodPost, base, `{"eventId":"a-2","keptnContext":"ctx-2","image":"carts","tag":"0.12.2"}`)
		list, pg := s.listOpen(t, base, "approvals")
		pg.checkPaging(t, "0", 2)
		checkIDs(t, "approvals", list, "a-1", "a-2")
		if list[0] != (approvalBody{EventID: "a-1", KeptnContext: "ctx-1", Time: "2020-11-16 09:28:21.640382915 +0000 UTC", Image: "carts", Tag: "0.12.1"}) {
			t.Errorf("first approval = %+v", list[0])
		}
	})

	t.Run("same eventId replaces", func(t *testing.T) {
		s.expect(t, http.StatusOK, http.MethodPost, base, `{"eventId":"a-1","keptnContext":"ctx-1","image":"carts","tag":"0.12.3"}`)
		list, pg := s.listOpen(t, base, "approvals")
		pg.checkPaging(t, "0", 2)
		checkIDs(t, "approvals", list, "a-1", "a-2")
		if len(list) == 2 && list[0].Tag != "0.12.3" {
			t.Errorf("tag of a-1 = %q, want the replacement 0.12.3", list[0].Tag)
		}
	})

	t.Run("other eventIds are added", func(t *testing.T) {
		s.expect(t, http.StatusOK, http.MethodPost, base, `{"eventId":"a-3","keptnContext":"ctx-3"}`)
		s.expect(t, http.StatusOK, http.MethodPost, base, `{"eventId":"a-4","keptnContext":"ctx-3"}`)
		list, _ := s.listOpen(t, base, "approvals")
		checkIDs(t, "approvals", list, "a-1", "a-2", "a-3", "a-4")
	})

	t.Run("pages", func(t *testing.T) {
		list, pg := s.listOpen(t, base+"?pageSize=1", "approvals")
		pg.checkPaging(t, "1", 4)
		checkIDs(t, "first page", list, "a-1")
		list, pg = s.listOpen(t, base+"?pageSize=3&nextPageKey=1", "approvals")
		pg.checkPaging(t, "0", 4)
		checkIDs(t, "last page", list, "a-2", "a-3", "a-4")
	})

	t.Run("get one", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodGet, base+"/a-2", "")
		var a approvalBody
		if err := json.Unmarshal(r.body, &a); err != nil {
			t.Fatal(err)
		}
		if a != (approvalBody{EventID: "a-2", KeptnContext: "ctx-2", Image: "carts", Tag: "0.12.2"}) {
			t.Errorf("approval = %+v", a)
		}
		r = s.send(t, http.MethodGet, configBase+base+"/a-9", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Approval not found")
	})

	t.Run("in the service view", func(t *testing.T) {
		svc := s.getService(t, p, "dev", "carts")
		var open []approvalBody
		if err := json.Unmarshal(svc.OpenApprovals, &open); err != nil {
			t.Fatal(err)
		}
		checkIDs(t, "openApprovals", open, "a-1", "a-2", "a-3", "a-4")
	})

	t.Run("close", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodDelete, base+"/a-1", "")
		if len(r.body) != 0 {
			t.Errorf("body = %s, want none", r.body)
		}
		list, _ := s.listOpen(t, base, "approvals")
		checkIDs(t, "approvals", list, "a-2", "a-3", "a-4")
		r = s.send(t, http.MethodDelete, configBase+base+"/a-1", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Could not close approval: open approval not found")

		s.expect(t, http.StatusOK, http.MethodDelete, base+"/a-2", "")
		list, _ = s.listOpen(t, base, "approvals")
		checkIDs(t, "approvals", list, "a-3", "a-4")
	})
}

// TestConfigRemediations opens, lists and closes remediations through the
// remediation operations.
func TestConfigRemediations(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "remediations"
	s.createProject(t, p, "production")
	s.createService(t, p, "carts", "production")
	base := "/project/" + p + "/stage/production/service/carts/remediation"

	for _, body := range []string{
		`{"eventId":"r-1","keptnContext":"ctx-1","type":"sh.keptn.event.remediation.triggered","time":"t1"}`,
		`{"eventId":"r-2","keptnContext":"ctx-1","type":"sh.keptn.event.remediation.status.changed","action":"scale"}`,
		`{"eventId":"r-3","keptnContext":"ctx-2","type":"sh.keptn.event.remediation.triggered"}`,
		`{"eventId":"r-1","keptnContext":"ctx-1","type":"sh.keptn.event.remediation.triggered","time":"t2"}`,
	} {
		r := s.expect(t, http.StatusOK, http.MethodPost, base, body)
		if len(r.body) != 0 {
			t.Errorf("body = %s, want none", r.body)
		}
	}

	t.Run("list", func(t *testing.T) {
		list, pg := s.listOpen(t, base, "remediations")
		pg.checkPaging(t, "0", 3)
		checkIDs(t, "remediations", list, "r-1", "r-2", "r-3")
		if len(list) == 3 {
			if list[0].Time != "t2" {
				t.Errorf("time of r-1 = %q, want the replacement t2", list[0].Time)
			}
			if list[1].Action != "scale" || list[1].Type != "sh.keptn.event.remediation.status.changed" {
				t.Errorf("r-2 = %+v", list[1])
			}
		}
	})

	t.Run("list of a context", func(t *testing.T) {
		list, pg := s.listOpen(t, base+"/ctx-1", "remediations")
		pg.checkPaging(t, "0", 2)
		checkIDs(t, "remediations of ctx-1", list, "r-1", "r-2")
		list, pg = s.listOpen(t, base+"/ctx-1?pageSize=1&nextPageKey=1", "remediations")
		pg.checkPaging(t, "0", 2)
		checkIDs(t, "second page of ctx-1", list, "r-2")
		list, pg = s.listOpen(t, base+"/ctx-9", "remediations")
		pg.checkPaging(t, "0", 0)
		checkIDs(t, "remediations of ctx-9", list)
	})

	t.Run("close a context", func(t *testing.T) {
		s.expect(t, http.StatusOK, http.MethodDelete, base+"/ctx-1", "")
		list, _ := s.listOpen(t, base, "remediations")
		checkIDs(t, "remediations", list, "r-3")
		r := s.send(t, http.MethodDelete, configBase+base+"/ctx-1", "")
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "Could not close remediation: open remediation not found")

		s.expect(t, http.StatusOK, http.MethodDelete, base+"/ctx-2", "")
		svc := s.getService(t, p, "production", "carts")
		if string(svc.OpenRemediations) != "null" {
			t.Errorf("openRemediations = %s, want null when none is open", svc.OpenRemediations)
		}
	})
}

// epochNanosOf returns an RFC 3339 time as the configuration-service writes
// it: Unix nanoseconds in decimal.
func epochNanosOf(t *testing.T, rfc3339 string) string {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(tm.UnixNano(), 10)
}

// lastEventBody is an EventContext of the configuration-service, the value
// of lastEventTypes.
type lastEventBody struct {
	EventID      string `json:"eventId"`
	KeptnContext string `json:"keptnContext"`
	Time         string `json:"time"`
}

func lastEvent(t *testing.T, svc expandedService, eventType string) (lastEventBody, bool) {
	t.Helper()
	raw, ok := svc.LastEventTypes[eventType]
	if !ok {
		return lastEventBody{}, false
	}
	var ec lastEventBody
	if err := json.Unmarshal(raw, &ec); err != nil {
		t.Fatalf("lastEventTypes[%s] = %s: %v", eventType, raw, err)
	}
	return ec, true
}

// TestConfigEventsUpdateView posts Keptn events through the datastore and
// through the configuration-service event operation, and checks the
// deployed image, the last events and the approvals and remediations they
// open and close.
func TestConfigEventsUpdateView(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	examples := loadExamples(t)
	const p = "sockshop"
	s.createProject(t, p, "dev", "hardening", "production")
	s.createService(t, p, "carts", "dev", "hardening", "production")

	const deploymentFinished = "sh.keptn.events.deployment-finished"
	deployed := examples["04"]
	triggered := examples["08"]
	finished := examples["09"]

	t.Run("deployment finished through the datastore", func(t *testing.T) {
		s.postEvent(t, deployed.raw)
		svc := s.getService(t, p, "hardening", "carts")
		if svc.DeployedImage == nil || *svc.DeployedImage != "docker.io/keptnexamples/carts:0.12.1" {
			t.Errorf("deployedImage = %v, want docker.io/keptnexamples/carts:0.12.1", deref(svc.DeployedImage))
		}
		ec, ok := lastEvent(t, svc, deploymentFinished)
		if !ok {
			t.Fatalf("lastEventTypes = %v, want %s", svc.LastEventTypes, deploymentFinished)
		}
		want := lastEventBody{EventID: deployed.id(), KeptnContext: deployed.context(), Time: epochNanosOf(t, deployed.event["time"].(string))}
		if ec != want {
			t.Errorf("lastEventTypes[%s] = %+v, want %+v", deploymentFinished, ec, want)
		}
		if other := s.getService(t, p, "dev", "carts"); other.DeployedImage != nil || other.LastEventTypes != nil {
			t.Errorf("dev/carts changed too: deployedImage %v, lastEventTypes %v", deref(other.DeployedImage), other.LastEventTypes)
		}
	})

	t.Run("stage info shows the deployment", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p+"/service/carts", "")
		var svc serviceWithStageInfo
		if err := json.Unmarshal(r.body, &svc); err != nil {
			t.Fatal(err)
		}
		if len(svc.StageInfo) != 3 {
			t.Fatalf("stageInfo = %s, want three stages", r.body)
		}
		hardening := svc.StageInfo[1]
		if hardening.StageName != "hardening" || hardening.DeployedImage != "docker.io/keptnexamples/carts:0.12.1" {
			t.Errorf("stageInfo[1] = %+v", hardening)
		}
		if _, ok := hardening.LastEventTypes[deploymentFinished]; !ok {
			t.Errorf("stageInfo[1].lastEventTypes = %v, want %s", hardening.LastEventTypes, deploymentFinished)
		}
		if svc.StageInfo[0].DeployedImage != "" {
			t.Errorf("stageInfo[0].deployedImage = %q, want none", svc.StageInfo[0].DeployedImage)
		}
	})

	t.Run("a deployment without tag keeps the image", func(t *testing.T) {
		s.postEvent(t, withChanges(t, deployed.event, map[string]any{"id": "deploy-no-tag", "data.tag": nil, "data.image": "other", "time": "2020-11-16T10:00:00Z"}))
		svc := s.getService(t, p, "hardening", "carts")
		if svc.DeployedImage == nil || *svc.DeployedImage != "docker.io/keptnexamples/carts:0.12.1" {
			t.Errorf("deployedImage = %v, want it unchanged", deref(svc.DeployedImage))
		}
		if ec, _ := lastEvent(t, svc, deploymentFinished); ec.EventID != "deploy-no-tag" || ec.Time != epochNanosOf(t, "2020-11-16T10:00:00Z") {
			t.Errorf("lastEventTypes[%s] = %+v, want the newer event", deploymentFinished, ec)
		}
	})

	t.Run("approval triggered through the event operation", func(t *testing.T) {
		r := s.expect(t, http.StatusOK, http.MethodPost, "/event", string(triggered.raw))
		if len(r.body) != 0 {
			t.Errorf("body = %s, want none", r.body)
		}
		list, _ := s.listOpen(t, "/project/"+p+"/stage/production/service/carts/approval", "approvals")
		checkIDs(t, "approvals", list, triggered.id())
		if len(list) == 1 {
			a := list[0]
			if a.KeptnContext != triggered.context() || a.Image != "docker.io/keptnexamples/carts" || a.Tag != "0.12.1" {
				t.Errorf("approval = %+v", a)
			}
			if a.Time == "" {
				t.Error("approval time is empty")
			}
		}
		svc := s.getService(t, p, "production", "carts")
		ec, _ := lastEvent(t, svc, "sh.keptn.event.approval.triggered")
		if want := (lastEventBody{EventID: triggered.id(), KeptnContext: triggered.context(), Time: epochNanosOf(t, triggered.event["time"].(string))}); ec != want {
			t.Errorf("lastEventTypes[approval.triggered] = %+v, want %+v", ec, want)
		}
		// The event operation stores the event like the datastore does.
		if n := s.totalCount(t, query("project", p, "eventID", triggered.id())); n != 1 {
			t.Errorf("stored copies of the approval.triggered event = %d, want 1", n)
		}
	})

	t.Run("approval finished closes it", func(t *testing.T) {
		s.postEvent(t, finished.raw)
		list, pg := s.listOpen(t, "/project/"+p+"/stage/production/service/carts/approval", "approvals")
		checkIDs(t, "approvals", list)
		pg.checkPaging(t, "0", 0)
		svc := s.getService(t, p, "production", "carts")
		if string(svc.OpenApprovals) != "null" {
			t.Errorf("openApprovals = %s, want null", svc.OpenApprovals)
		}
		if _, ok := lastEvent(t, svc, "sh.keptn.event.approval.finished"); !ok {
			t.Errorf("lastEventTypes = %v, want approval.finished", svc.LastEventTypes)
		}
	})

	t.Run("remediation events open and close", func(t *testing.T) {
		remediation := examples["12"]
		s.postEvent(t, remediation.raw)
		base := "/project/" + p + "/stage/production/service/carts/remediation"
		list, _ := s.listOpen(t, base, "remediations")
		checkIDs(t, "remediations", list, remediation.id())
		if len(list) == 1 && (list[0].KeptnContext != remediation.context() || list[0].Type != "sh.keptn.event.remediation.triggered") {
			t.Errorf("remediation = %+v", list[0])
		}
		s.postEvent(t, withChanges(t, remediation.event, map[string]any{"id": "remediation-done", "type": "sh.keptn.event.remediation.finished"}))
		list, _ = s.listOpen(t, base, "remediations")
		checkIDs(t, "remediations after remediation.finished", list)
	})

	t.Run("a repeated event leaves the view as the first delivery set it", func(t *testing.T) {
		again := withChanges(t, deployed.event, map[string]any{"data.image": "docker.io/keptnexamples/carts-replayed", "time": "2020-11-17T00:00:00Z"})
		s.expect(t, http.StatusOK, http.MethodPost, "/event", string(again))
		svc := s.getService(t, p, "hardening", "carts")
		if svc.DeployedImage == nil || *svc.DeployedImage != "docker.io/keptnexamples/carts:0.12.1" {
			t.Errorf("deployedImage = %v, want it unchanged", deref(svc.DeployedImage))
		}
		if ec, _ := lastEvent(t, svc, deploymentFinished); ec.EventID != "deploy-no-tag" {
			t.Errorf("lastEventTypes[%s].eventId = %q, want deploy-no-tag", deploymentFinished, ec.EventID)
		}
	})

	t.Run("events of unknown services are stored and ignored", func(t *testing.T) {
		s.postEvent(t, withChanges(t, deployed.event, map[string]any{"id": "unknown-service", "data.service": "orders"}))
		s.postEvent(t, withChanges(t, deployed.event, map[string]any{"id": "unknown-project", "data.project": "elsewhere"}))
		r := s.send(t, http.MethodGet, configBase+"/project/"+p+"/stage/hardening/service/orders", "")
		checkStatus(t, r, http.StatusNotFound)
		r = s.send(t, http.MethodGet, configBase+"/project/elsewhere", "")
		checkStatus(t, r, http.StatusNotFound)
	})
}

// TestConfigEventRejected checks the 400s of the configuration-service
// event operation and that a rejected event is not stored.
func TestConfigEventRejected(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "sockshop"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")

	event := func(id, data string) string {
		return `{"type":"sh.keptn.events.deployment-finished","source":"helm-service","id":"` + id +
			`","shkeptncontext":"ctx-rejected","data":` + data + `}`
	}
	cases := []struct {
		name, body, message string
		code                int64
	}{
		{"no project", event("e-1", `{"stage":"dev","service":"carts"}`), "Project must not be empty", 400},
		{"no stage", event("e-2", `{"project":"sockshop","service":"carts"}`), "Stage must not be empty", 400},
		{"no service", event("e-3", `{"project":"sockshop","stage":"dev"}`), "Service must not be empty", 400},
		{"empty data", event("e-4", `{}`), "Project must not be empty", 400},
		{"unknown project", event("e-5", `{"project":"nope","stage":"dev","service":"carts"}`), "Could not update service: project not found", 400},
		{"unknown stage", event("e-6", `{"project":"sockshop","stage":"prod","service":"carts"}`), "Could not update service: stage not found", 400},
		{"unknown service", event("e-7", `{"project":"sockshop","stage":"dev","service":"orders"}`), "Could not update service: service not found", 400},
		{"data not an object", event("e-8", `"carts"`), "Could not parse event data...", 400},
		{"label not a string", event("e-9", `{"project":"sockshop","stage":"dev","service":"carts","labels":{"n":1}}`), "Could not parse event data...", 400},
		{"no type", `{"source":"x","data":{"project":"sockshop","stage":"dev","service":"carts"}}`, "type in body is required", 602},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+"/event", c.body)
			status := http.StatusBadRequest
			if c.code == 602 {
				status = http.StatusUnprocessableEntity
			}
			checkMessage(t, r, status, c.code, c.message)
		})
	}

	t.Run("nothing stored", func(t *testing.T) {
		if n := s.totalCount(t, query("keptnContext", "ctx-rejected")); n != 0 {
			t.Errorf("stored events of rejected requests = %d, want 0", n)
		}
		svc := s.getService(t, p, "dev", "carts")
		if svc.LastEventTypes != nil || svc.DeployedImage != nil {
			t.Errorf("the view changed: lastEventTypes %v, deployedImage %v", svc.LastEventTypes, deref(svc.DeployedImage))
		}
	})
}
