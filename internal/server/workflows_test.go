package server_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// cartsChart is a small Helm chart of the carts service, keyed by path
// inside the chart directory.
var cartsChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: carts\nversion: 0.1.0\n",
	"values.yaml": "image: docker.io/keptnexamples/carts:0.12.0\nreplicaCount: 1\n",
	"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: carts
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: carts
  template:
    metadata:
      labels:
        app: carts
    spec:
      containers:
        - name: carts
          image: "{{ .Values.image }}"
`,
	"templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: carts\nspec:\n  ports:\n    - port: 80\n      targetPort: 8080\n  selector:\n    app: carts\n",
}

// TestWorkflowSockshop walks the Keptn 0.7 tutorial through the api
// collection: it creates the sockshop project from a three-stage shipyard,
// onboards carts with a Helm chart, sends the events of one delivery and an
// evaluation, and deletes the service and the project. After each step it
// checks the configuration view, the stored events of the step's
// keptnContext and the log websocket messages.
func TestWorkflowSockshop(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	examples := loadExamples(t)
	shipyard := examples["01"].event["data"].(map[string]any)["shipyard"].(string)
	stages := []string{"dev", "hardening", "production"}

	// Create the project.
	created := s.expectContext(t, http.MethodPost, "/project", jsonBody(t, map[string]string{"name": "sockshop", "shipyard": shipyard}))

	project := s.getProject(t, "sockshop")
	if got := stageNames(project.stages(t)); !slices.Equal(got, stages) {
		t.Errorf("stages = %v, want %v", got, stages)
	}
	if project.Shipyard == nil || *project.Shipyard != shipyard {
		t.Errorf("project shipyard = %v, want the posted shipyard", project.Shipyard)
	}
	wantShipyard, _ := base64.StdEncoding.DecodeString(shipyard)
	if content, _ := s.readFile(t, projectLevel("sockshop"), "shipyard.yaml", ""); content != string(wantShipyard) {
		t.Errorf("shipyard.yaml = %q, want %q", content, wantShipyard)
	}
	for _, stage := range stages {
		if got := gitFiles(t, s.repo("sockshop"), stage); !slices.Equal(got, []string{"metadata.yaml"}) {
			t.Errorf("files of branch %s = %v, want [metadata.yaml]", stage, got)
		}
	}
	checkLog(t, s.followLog(t, created), created,
		"Creating project sockshop with the stages dev, hardening, production",
		"Stage dev created", "Stage hardening created", "Stage production created",
		"Shipyard file shipyard.yaml added to project sockshop",
		"Project sockshop created")
	if got, want := s.eventTypes(t, created.KeptnContext), []string{
		"sh.keptn.internal.event.project.create", "sh.keptn.internal.event.project.create.finished",
	}; !slices.Equal(got, want) {
		t.Errorf("events of the project creation = %v, want %v", got, want)
	}
	createEvent := s.eventOfType(t, created.KeptnContext, "sh.keptn.internal.event.project.create")
	checkData(t, "project.create", createEvent["data"], map[string]any{"project": "sockshop", "shipyard": shipyard, "eventContext": nil})
	if createEvent["source"] != "https://github.com/keptn/keptn/api" || createEvent["specversion"] != "0.2" {
		t.Errorf("project.create source = %v, specversion = %v", createEvent["source"], createEvent["specversion"])
	}
	checkOutcome(t, s.eventOfType(t, created.KeptnContext, "sh.keptn.internal.event.project.create.finished"),
		map[string]any{"project": "sockshop", "message": "Project sockshop created"})

	// Onboard carts with its chart.
	chart := base64.StdEncoding.EncodeToString(chartArchive(t, "carts", cartsChart))
	strategies := map[string]any{"dev": "direct", "hardening": "duplicate", "production": "duplicate"}
	onboarded := s.expectContext(t, http.MethodPost, "/project/sockshop/service",
		jsonBody(t, map[string]any{"serviceName": "carts", "helmChart": chart, "deploymentStrategies": strategies}))

	wantFiles := []string{"/helm/carts/Chart.yaml", "/helm/carts/templates/deployment.yaml", "/helm/carts/templates/service.yaml", "/helm/carts/values.yaml", "/metadata.yaml"}
	for _, st := range s.getProject(t, "sockshop").stages(t) {
		if got := serviceNames(st.Services); !slices.Equal(got, []string{"carts"}) {
			t.Errorf("services of stage %s = %v, want [carts]", st.StageName, got)
		}
		s.checkURIs(t, serviceLevel("sockshop", st.StageName, "carts"), wantFiles...)
		packed := unpackArchive(t, s.readRaw(t, serviceLevel("sockshop", st.StageName, "carts"), "helm/carts.tgz"))
		if want := withPrefix("carts/", cartsChart); !maps.Equal(packed, want) {
			t.Errorf("chart of stage %s = %v, want %v", st.StageName, packed, want)
		}
	}
	var wantOnboardLog []string
	wantOnboardLog = append(wantOnboardLog, "Creating service carts in project sockshop")
	for _, stage := range stages {
		wantOnboardLog = append(wantOnboardLog, "Service carts created in stage "+stage, "Helm chart of service carts stored in stage "+stage)
	}
	wantOnboardLog = append(wantOnboardLog, "Service carts created in project sockshop")
	checkLog(t, s.followLog(t, onboarded), onboarded, wantOnboardLog...)
	if got, want := s.eventTypes(t, onboarded.KeptnContext), []string{
		"sh.keptn.internal.event.service.create", "sh.keptn.internal.event.service.create.finished",
	}; !slices.Equal(got, want) {
		t.Errorf("events of the onboarding = %v, want %v", got, want)
	}
	checkData(t, "service.create", s.eventOfType(t, onboarded.KeptnContext, "sh.keptn.internal.event.service.create")["data"],
		map[string]any{"project": "sockshop", "service": "carts", "helmChart": chart, "deploymentStrategies": strategies, "eventContext": nil})
	checkOutcome(t, s.eventOfType(t, onboarded.KeptnContext, "sh.keptn.internal.event.service.create.finished"),
		map[string]any{"project": "sockshop", "service": "carts", "message": "Service carts created in project sockshop"})

	// Deliver a new artifact up to the approval of production.
	for _, name := range []string{"03", "04", "05", "07", "08"} {
		s.postEvent(t, examples[name].raw)
	}
	dev := s.getService(t, "sockshop", "dev", "carts")
	if ref, ok := lastEvent(t, dev, "sh.keptn.event.configuration.change"); !ok || ref.EventID != examples["03"].id() {
		t.Errorf("dev lastEventTypes[configuration.change] = %+v, want event %s", ref, examples["03"].id())
	}
	hardening := s.getService(t, "sockshop", "hardening", "carts")
	if hardening.DeployedImage == nil || *hardening.DeployedImage != "docker.io/keptnexamples/carts:0.12.1" {
		t.Errorf("hardening deployedImage = %v, want docker.io/keptnexamples/carts:0.12.1", hardening.DeployedImage)
	}
	for _, name := range []string{"04", "05", "07"} {
		eventType := examples[name].event["type"].(string)
		if ref, ok := lastEvent(t, hardening, eventType); !ok || ref.EventID != examples[name].id() || ref.KeptnContext != contextDelivery {
			t.Errorf("hardening lastEventTypes[%s] = %+v, want event %s", eventType, ref, examples[name].id())
		}
	}
	checkIDs(t, "production openApprovals", decodeApprovals(t, s.getService(t, "sockshop", "production", "carts")), examples["08"].id())

	s.postEvent(t, examples["09"].raw)
	checkIDs(t, "production openApprovals after approval.finished", decodeApprovals(t, s.getService(t, "sockshop", "production", "carts")))
	if got, want := s.eventTypes(t, contextDelivery), sortedTypes(examples, "03", "04", "05", "07", "08", "09"); !slices.Equal(got, want) {
		t.Errorf("events of the delivery = %v, want %v", got, want)
	}

	// Start an evaluation as the CLI's send event start-evaluation does.
	evaluated := s.expectContext(t, http.MethodPost, "/project/sockshop/stage/hardening/service/carts/evaluation",
		`{"start":"2020-11-16T10:00:00","end":"2020-11-16T10:10:00","labels":{"trigger":"manual-quality-check"}}`)
	if got := s.eventTypes(t, evaluated.KeptnContext); !slices.Equal(got, []string{"sh.keptn.event.start-evaluation"}) {
		t.Errorf("events of the evaluation = %v, want [sh.keptn.event.start-evaluation]", got)
	}
	wantEvaluation := expectedStored(t, examples["06"].event)["data"]
	checkData(t, "start-evaluation", s.eventOfType(t, evaluated.KeptnContext, "sh.keptn.event.start-evaluation")["data"], wantEvaluation)
	checkLog(t, s.followLog(t, evaluated), evaluated,
		"Evaluation of service carts in stage hardening of project sockshop started for 2020-11-16T10:00:00.000Z to 2020-11-16T10:10:00.000Z")
	if ref, ok := lastEvent(t, s.getService(t, "sockshop", "hardening", "carts"), "sh.keptn.event.start-evaluation"); !ok || ref.KeptnContext != evaluated.KeptnContext {
		t.Errorf("hardening lastEventTypes[start-evaluation] = %+v, want context %s", ref, evaluated.KeptnContext)
	}

	// Delete the service.
	removed := s.expectContext(t, http.MethodDelete, "/project/sockshop/service/carts", "")
	for _, st := range s.getProject(t, "sockshop").stages(t) {
		if len(st.Services) != 0 {
			t.Errorf("services of stage %s = %v, want none", st.StageName, serviceNames(st.Services))
		}
		for _, f := range gitFiles(t, s.repo("sockshop"), st.StageName) {
			if strings.HasPrefix(f, "carts/") {
				t.Errorf("branch %s still has %s", st.StageName, f)
			}
		}
	}
	checkLog(t, s.followLog(t, removed), removed,
		"Deleting service carts from project sockshop",
		"Service carts deleted from stage dev", "Service carts deleted from stage hardening", "Service carts deleted from stage production",
		"Service carts deleted from project sockshop")
	if got, want := s.eventTypes(t, removed.KeptnContext), []string{
		"sh.keptn.internal.event.service.delete", "sh.keptn.internal.event.service.delete.finished",
	}; !slices.Equal(got, want) {
		t.Errorf("events of the service deletion = %v, want %v", got, want)
	}
	checkData(t, "service.delete", s.eventOfType(t, removed.KeptnContext, "sh.keptn.internal.event.service.delete")["data"],
		map[string]any{"project": "sockshop", "service": "carts", "eventContext": nil})

	// Delete the project: nothing of it may remain.
	deleted := s.expectContext(t, http.MethodDelete, "/project/sockshop", "")
	checkLog(t, s.followLog(t, deleted), deleted,
		"Deleting project sockshop",
		"Events of project sockshop deleted",
		"Repository and configuration view of project sockshop deleted; a git upstream is left as it is",
		"Project sockshop deleted")
	checkMessage(t, s.send(t, http.MethodGet, configBase+"/project/sockshop", ""), http.StatusNotFound, http.StatusNotFound, "Project not found")
	checkGone(t, s.repo("sockshop"))
	if n := s.totalCount(t, query("project", "sockshop")); n != 0 {
		t.Errorf("%d events of project sockshop remain", n)
	}
	for _, ec := range []string{created.KeptnContext, onboarded.KeptnContext, contextDelivery, evaluated.KeptnContext, removed.KeptnContext, deleted.KeptnContext} {
		if got := s.eventTypes(t, ec); len(got) != 0 {
			t.Errorf("events of context %s remain: %v", ec, got)
		}
	}
	checkMessage(t, s.send(t, http.MethodDelete, apiBase+"/project/sockshop", ""), http.StatusNotFound, http.StatusNotFound, `project "sockshop" not found`)
}

// decodeApprovals decodes the open approvals of a service. A null or
// missing member gives an empty list.
func decodeApprovals(t *testing.T, svc expandedService) []approvalBody {
	t.Helper()
	var list []approvalBody
	if len(svc.OpenApprovals) > 0 {
		if err := json.Unmarshal(svc.OpenApprovals, &list); err != nil {
			t.Fatalf("openApprovals %s: %v", svc.OpenApprovals, err)
		}
	}
	return list
}

// sortedTypes returns the sorted event types of the named examples.
func sortedTypes(examples map[string]example, names ...string) []string {
	var types []string
	for _, name := range names {
		types = append(types, examples[name].event["type"].(string))
	}
	slices.Sort(types)
	return types
}

// TestWorkflowProjectWithoutShipyard works on a project that the
// configuration-service collection created, which has no shipyard.yaml.
func TestWorkflowProjectWithoutShipyard(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	s.createProject(t, "bare")
	s.postEvent(t, []byte(`{"type":"sh.keptn.event.configuration.change","source":"ci","data":{"project":"bare"}}`))

	r := s.send(t, http.MethodPost, apiBase+"/project/bare/service", `{"serviceName":"carts"}`)
	checkMessage(t, r, http.StatusBadRequest, http.StatusBadRequest, `project "bare" has no stage; create a stage before the service`)

	s.expect(t, http.StatusNoContent, http.MethodPost, "/project/bare/stage", `{"stageName":"dev"}`)
	s.expectContext(t, http.MethodPost, "/project/bare/service", `{"serviceName":"carts"}`)
	s.expectContext(t, http.MethodDelete, "/project/bare", "")
	checkNoProject(t, s, "bare")
}
