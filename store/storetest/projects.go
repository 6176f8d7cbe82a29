package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// RunProjects runs the store.Projects conformance tests as subtests of t.
// Each subtest calls newStore for an empty store of its own, and newStore should
// register the store's cleanup with t.Cleanup. The ClosedStore subtest calls
// Close when the store has a Close method, so a cleanup must not fail the
// test when Close returns store.ErrClosed.
func RunProjects(t *testing.T, newStore func(t *testing.T) store.Projects) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Projects)
	}{
		{"CreateGetList", testProjectCreateGetList},
		{"GetUnknownProject", testProjectGetUnknown},
		{"CreateDuplicateProject", testProjectCreateDuplicate},
		{"CreateWithStagesAndServices", testProjectCreateWithStagesAndServices},
		{"UpdateProject", testProjectUpdate},
		{"UpdateProjectErrorAborts", testProjectUpdateErrorAborts},
		{"UpdateUnknownProject", testProjectUpdateUnknown},
		{"DeleteProject", testProjectDelete},
		{"DeleteProjectNameReusable", testProjectDeleteNameReusable},
		{"Stages", testStages},
		{"CreateStageDuplicate", testStageCreateDuplicate},
		{"CreateStageUnknownProject", testStageCreateUnknownProject},
		{"DeleteStage", testStageDelete},
		{"DeleteStageUnknown", testStageDeleteUnknown},
		{"Services", testServices},
		{"CreateServiceDuplicate", testServiceCreateDuplicate},
		{"CreateServiceUnknownPath", testServiceCreateUnknownPath},
		{"DeleteService", testServiceDelete},
		{"DeleteServiceUnknownPath", testServiceDeleteUnknownPath},
		{"UpdateServiceLastEventTypes", testServiceUpdateLastEventTypes},
		{"UpdateServiceDeployedImage", testServiceUpdateDeployedImage},
		{"UpdateServiceApprovals", testServiceUpdateApprovals},
		{"UpdateServiceRemediations", testServiceUpdateRemediations},
		{"UpdateServiceErrorAborts", testServiceUpdateErrorAborts},
		{"UpdateServiceKeepsNameAndDate", testServiceUpdateKeepsNameAndDate},
		{"UpdateServiceUnknownPath", testServiceUpdateUnknownPath},
		{"SameNamesInOtherParents", testSameNamesInOtherParents},
		{"NamesCompareExactly", testNamesCompareExactly},
		{"NilVersusEmpty", testNilVersusEmpty},
		{"TimePrecision", testProjectTimePrecision},
		{"ReturnedValuesAreCopies", testReturnedValuesAreCopies},
		{"ClosedStore", testProjectsClosedStore},
		{"ConcurrentUpdateService", testConcurrentUpdateService},
		{"ConcurrentProjects", testConcurrentProjects},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

// created is the CreationDate of the projects and services these tests
// make, plus one second per position where it matters. Its nanoseconds
// check that no precision is lost.
var created = time.Date(2020, 11, 16, 9, 2, 11, 482731904, time.UTC)

func createdAt(seconds int) time.Time {
	return created.Add(time.Duration(seconds) * time.Second)
}

func newProject(name string) store.Project {
	return store.Project{
		Name:         name,
		GitUser:      "keptn-bot",
		GitRemoteURI: "https://git.example.com/acme/" + name + ".git",
		CreationDate: created,
	}
}

func newService(name string) store.Service {
	return store.Service{Name: name, CreationDate: created}
}

func createProject(t *testing.T, s store.Projects, p store.Project) {
	t.Helper()
	if err := s.CreateProject(context.Background(), p); err != nil {
		t.Fatalf("CreateProject(%q): %v", p.Name, err)
	}
}

func createStage(t *testing.T, s store.Projects, project, stage string) {
	t.Helper()
	if err := s.CreateStage(context.Background(), project, stage); err != nil {
		t.Fatalf("CreateStage(%q, %q): %v", project, stage, err)
	}
}

func createService(t *testing.T, s store.Projects, project, stage string, svc store.Service) {
	t.Helper()
	if err := s.CreateService(context.Background(), project, stage, svc); err != nil {
		t.Fatalf("CreateService(%q, %q, %q): %v", project, stage, svc.Name, err)
	}
}

// createTree creates project p1 with the stages dev and prod, each with the
// services carts and orders.
func createTree(t *testing.T, s store.Projects) {
	t.Helper()
	createProject(t, s, newProject("p1"))
	for _, stage := range []string{"dev", "prod"} {
		createStage(t, s, "p1", stage)
		createService(t, s, "p1", stage, newService("carts"))
		createService(t, s, "p1", stage, newService("orders"))
	}
}

func getProject(t *testing.T, s store.Projects, name string) store.Project {
	t.Helper()
	p, err := s.GetProject(context.Background(), name)
	if err != nil {
		t.Fatalf("GetProject(%q): %v", name, err)
	}
	return p
}

func listProjects(t *testing.T, s store.Projects) []store.Project {
	t.Helper()
	list, err := s.ListProjects(context.Background())
	if err != nil {
		t.Fatalf("ListProjects: %v", err)
	}
	return list
}

// getService returns a service read with GetProject.
func getService(t *testing.T, s store.Projects, project, stage, service string) store.Service {
	t.Helper()
	p := getProject(t, s, project)
	for _, st := range p.Stages {
		if st.Name != stage {
			continue
		}
		for _, svc := range st.Services {
			if svc.Name == service {
				return svc
			}
		}
	}
	t.Fatalf("service %q not found in stage %q of project %q", service, stage, project)
	return store.Service{}
}

func updateService(t *testing.T, s store.Projects, project, stage, service string, update func(*store.Service) error) {
	t.Helper()
	if err := s.UpdateService(context.Background(), project, stage, service, update); err != nil {
		t.Fatalf("UpdateService(%q, %q, %q): %v", project, stage, service, err)
	}
}

func projectNames(list []store.Project) []string {
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Name
	}
	return names
}

func stageNames(p store.Project) []string {
	names := make([]string, len(p.Stages))
	for i, st := range p.Stages {
		names[i] = st.Name
	}
	return names
}

func serviceNames(st store.Stage) []string {
	names := make([]string, len(st.Services))
	for i, svc := range st.Services {
		names[i] = svc.Name
	}
	return names
}

func approvalIDs(approvals []store.Approval) []string {
	ids := make([]string, len(approvals))
	for i, a := range approvals {
		ids[i] = a.EventID
	}
	return ids
}

// checkProject compares got with want field by field, times with Equal, and
// reports each difference, including nil against empty slices and maps.
func checkProject(t *testing.T, got, want store.Project) {
	t.Helper()
	where := fmt.Sprintf("project %q", want.Name)
	checkStringField(t, where+" Name", got.Name, want.Name)
	checkStringField(t, where+" GitUser", got.GitUser, want.GitUser)
	checkStringField(t, where+" GitRemoteURI", got.GitRemoteURI, want.GitRemoteURI)
	checkStringField(t, where+" Shipyard", got.Shipyard, want.Shipyard)
	checkTime(t, where+" CreationDate", got.CreationDate, want.CreationDate)
	if (got.Stages == nil) != (want.Stages == nil) {
		t.Errorf("%s Stages = %#v, want %#v", where, got.Stages, want.Stages)
	}
	if !slices.Equal(stageNames(got), stageNames(want)) {
		t.Errorf("%s stages = %q, want %q", where, stageNames(got), stageNames(want))
		return
	}
	for i, st := range want.Stages {
		checkStage(t, where, got.Stages[i], st)
	}
}

func checkStage(t *testing.T, where string, got, want store.Stage) {
	t.Helper()
	where = fmt.Sprintf("%s stage %q", where, want.Name)
	if got.Services == nil {
		t.Errorf("%s Services = nil, want an empty or filled slice", where)
	}
	if !slices.Equal(serviceNames(got), serviceNames(want)) {
		t.Errorf("%s services = %q, want %q", where, serviceNames(got), serviceNames(want))
		return
	}
	for i, svc := range want.Services {
		checkService(t, where, got.Services[i], svc)
	}
}

func checkService(t *testing.T, where string, got, want store.Service) {
	t.Helper()
	where = fmt.Sprintf("%s service %q", where, want.Name)
	checkStringField(t, where+" Name", got.Name, want.Name)
	checkTime(t, where+" CreationDate", got.CreationDate, want.CreationDate)
	checkStringField(t, where+" DeployedImage", got.DeployedImage, want.DeployedImage)

	if (got.LastEventTypes == nil) != (want.LastEventTypes == nil) {
		t.Errorf("%s LastEventTypes = %#v, want %#v", where, got.LastEventTypes, want.LastEventTypes)
	}
	if len(got.LastEventTypes) != len(want.LastEventTypes) {
		t.Errorf("%s LastEventTypes has %d entries, want %d", where, len(got.LastEventTypes), len(want.LastEventTypes))
	}
	for eventType, wantRef := range want.LastEventTypes {
		gotRef, ok := got.LastEventTypes[eventType]
		if !ok {
			t.Errorf("%s LastEventTypes lacks %q", where, eventType)
			continue
		}
		refWhere := fmt.Sprintf("%s LastEventTypes[%q]", where, eventType)
		checkStringField(t, refWhere+".KeptnContext", gotRef.KeptnContext, wantRef.KeptnContext)
		checkStringField(t, refWhere+".EventID", gotRef.EventID, wantRef.EventID)
		checkTime(t, refWhere+".Time", gotRef.Time, wantRef.Time)
	}

	if (got.OpenApprovals == nil) != (want.OpenApprovals == nil) || !slices.Equal(got.OpenApprovals, want.OpenApprovals) {
		t.Errorf("%s OpenApprovals = %#v, want %#v", where, got.OpenApprovals, want.OpenApprovals)
	}
	if (got.OpenRemediations == nil) != (want.OpenRemediations == nil) || !slices.Equal(got.OpenRemediations, want.OpenRemediations) {
		t.Errorf("%s OpenRemediations = %#v, want %#v", where, got.OpenRemediations, want.OpenRemediations)
	}
}

func checkTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", name, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// wantNotFound checks that err is the sentinel want, which also matches
// store.ErrNotFound, and none of the other "not found" sentinels.
func wantNotFound(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", call, err, want)
		return
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: error %v does not match ErrNotFound", call, err)
	}
	for _, other := range []error{store.ErrProjectNotFound, store.ErrStageNotFound, store.ErrServiceNotFound} {
		if other != want && errors.Is(err, other) {
			t.Errorf("%s: error %v also matches %v", call, err, other)
		}
	}
}

func testProjectCreateGetList(t *testing.T, s store.Projects) {
	if list := listProjects(t, s); list == nil || len(list) != 0 {
		t.Errorf("ListProjects on an empty store = %#v, want an empty slice", list)
	}

	// Names out of alphabetical order, so that sorting by name fails.
	names := []string{"sockshop", "alpha", "podtato", "zeta"}
	want := map[string]store.Project{}
	for i, name := range names {
		p := newProject(name)
		p.GitUser = "user-" + name
		p.Shipyard = "c3RhZ2VzOiBbXQ=="
		p.CreationDate = createdAt(i)
		createProject(t, s, p)
		want[name] = p
	}

	for _, name := range names {
		checkProject(t, getProject(t, s, name), want[name])
	}
	list := listProjects(t, s)
	if got := projectNames(list); !slices.Equal(got, names) {
		t.Fatalf("ListProjects names = %q, want %q in creation order", got, names)
	}
	for _, p := range list {
		checkProject(t, p, want[p.Name])
	}
}

func testProjectGetUnknown(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))

	_, err := s.GetProject(context.Background(), "missing")
	wantNotFound(t, `GetProject("missing")`, err, store.ErrProjectNotFound)
}

func testProjectCreateDuplicate(t *testing.T, s store.Projects) {
	original := newProject("p1")
	createProject(t, s, original)
	createStage(t, s, "p1", "dev")

	again := newProject("p1")
	again.GitUser = "someone-else"
	again.Stages = []store.Stage{{Name: "other", Services: []store.Service{}}}
	err := s.CreateProject(context.Background(), again)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second CreateProject(%q): error = %v, want ErrAlreadyExists", "p1", err)
	}

	got := getProject(t, s, "p1")
	checkStringField(t, "GitUser", got.GitUser, original.GitUser)
	if names := stageNames(got); !slices.Equal(names, []string{"dev"}) {
		t.Errorf("stages after the rejected create = %q, want [dev]", names)
	}
	if n := len(listProjects(t, s)); n != 1 {
		t.Errorf("ListProjects returned %d projects, want 1", n)
	}
}

func testProjectCreateWithStagesAndServices(t *testing.T, s store.Projects) {
	carts := store.Service{
		Name:          "carts",
		CreationDate:  createdAt(1),
		DeployedImage: "docker.io/keptnexamples/carts:0.12.1",
		LastEventTypes: map[string]store.EventRef{
			"sh.keptn.events.deployment-finished": {
				KeptnContext: "ctx-1",
				EventID:      "ev-1",
				Time:         createdAt(2),
			},
		},
		OpenApprovals: []store.Approval{
			{EventID: "a1", KeptnContext: "ctx-1", Time: "1605518493911275310", Image: "carts", Tag: "0.12.1"},
		},
		OpenRemediations: []store.Remediation{
			{EventID: "r1", KeptnContext: "ctx-2", Time: "1605518493911275311", Type: "sh.keptn.event.problem.open", Action: "scale"},
		},
	}
	p := newProject("sockshop")
	p.Shipyard = "c2hpcHlhcmQ="
	p.Stages = []store.Stage{
		{Name: "dev", Services: []store.Service{carts, newService("orders")}},
		{Name: "staging", Services: []store.Service{}},
		{Name: "production", Services: []store.Service{newService("orders"), newService("carts")}},
	}
	createProject(t, s, p)

	checkProject(t, getProject(t, s, "sockshop"), p)
	list := listProjects(t, s)
	if len(list) != 1 {
		t.Fatalf("ListProjects returned %d projects, want 1", len(list))
	}
	checkProject(t, list[0], p)
}

func testProjectUpdate(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))
	createStage(t, s, "p1", "dev")
	createProject(t, s, newProject("p2"))

	var seen store.Project
	err := s.UpdateProject(context.Background(), "p1", func(p *store.Project) error {
		seen = *p
		p.GitUser = "new-user"
		p.GitRemoteURI = "https://git.example.com/new.git"
		p.Shipyard = "bmV3"
		// None of these may be stored.
		p.Name = "renamed"
		p.CreationDate = createdAt(100)
		p.Stages = append(p.Stages, store.Stage{Name: "added", Services: []store.Service{}})
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateProject: %v", err)
	}

	want := newProject("p1")
	checkStringField(t, "Name passed to update", seen.Name, want.Name)
	checkStringField(t, "GitUser passed to update", seen.GitUser, want.GitUser)
	if names := stageNames(seen); !slices.Equal(names, []string{"dev"}) {
		t.Errorf("stages passed to update = %q, want [dev]", names)
	}

	want.GitUser = "new-user"
	want.GitRemoteURI = "https://git.example.com/new.git"
	want.Shipyard = "bmV3"
	want.Stages = []store.Stage{{Name: "dev", Services: []store.Service{}}}
	checkProject(t, getProject(t, s, "p1"), want)
	if _, err := s.GetProject(context.Background(), "renamed"); !errors.Is(err, store.ErrProjectNotFound) {
		t.Errorf(`GetProject("renamed"): error = %v, want ErrProjectNotFound`, err)
	}
	checkProject(t, getProject(t, s, "p2"), newProject("p2"))
	if got := projectNames(listProjects(t, s)); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Errorf("ListProjects names after update = %q, want [p1 p2]", got)
	}
}

func testProjectUpdateErrorAborts(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))

	errAbort := errors.New("abort update")
	err := s.UpdateProject(context.Background(), "p1", func(p *store.Project) error {
		p.GitUser = "changed"
		p.Shipyard = "Y2hhbmdlZA=="
		return errAbort
	})
	if err != errAbort {
		t.Errorf("UpdateProject: error = %v, want the update function's error unchanged", err)
	}
	checkProject(t, getProject(t, s, "p1"), newProject("p1"))
}

func testProjectUpdateUnknown(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))

	called := false
	err := s.UpdateProject(context.Background(), "missing", func(*store.Project) error {
		called = true
		return nil
	})
	wantNotFound(t, `UpdateProject("missing")`, err, store.ErrProjectNotFound)
	if called {
		t.Error("UpdateProject called update for an unknown project")
	}
}

func testProjectDelete(t *testing.T, s store.Projects) {
	createTree(t, s)
	createProject(t, s, newProject("p2"))
	createStage(t, s, "p2", "dev")
	createService(t, s, "p2", "dev", newService("carts"))
	ctx := context.Background()

	if err := s.DeleteProject(ctx, "p1"); err != nil {
		t.Fatalf("DeleteProject(p1): %v", err)
	}

	_, err := s.GetProject(ctx, "p1")
	wantNotFound(t, "GetProject(p1) after delete", err, store.ErrProjectNotFound)
	wantNotFound(t, "CreateStage(p1, qa) after delete",
		s.CreateStage(ctx, "p1", "qa"), store.ErrProjectNotFound)
	wantNotFound(t, "CreateService(p1, dev, x) after delete",
		s.CreateService(ctx, "p1", "dev", newService("x")), store.ErrProjectNotFound)
	wantNotFound(t, "UpdateService(p1, dev, carts) after delete",
		s.UpdateService(ctx, "p1", "dev", "carts", func(*store.Service) error { return nil }), store.ErrProjectNotFound)
	wantNotFound(t, "DeleteProject(p1) again", s.DeleteProject(ctx, "p1"), store.ErrProjectNotFound)
	wantNotFound(t, "DeleteProject(missing)", s.DeleteProject(ctx, "missing"), store.ErrProjectNotFound)

	if got := projectNames(listProjects(t, s)); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("ListProjects names after delete = %q, want [p2]", got)
	}
	want := newProject("p2")
	want.Stages = []store.Stage{{Name: "dev", Services: []store.Service{newService("carts")}}}
	checkProject(t, getProject(t, s, "p2"), want)
}

func testProjectDeleteNameReusable(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("first"))
	createTree(t, s)
	createProject(t, s, newProject("last"))
	ctx := context.Background()

	if err := s.DeleteProject(ctx, "p1"); err != nil {
		t.Fatalf("DeleteProject(p1): %v", err)
	}
	again := newProject("p1")
	again.GitUser = "second-owner"
	again.CreationDate = createdAt(50)
	createProject(t, s, again)

	// The new project starts empty: nothing of the deleted one comes back.
	checkProject(t, getProject(t, s, "p1"), again)
	// Recreating a stage of the deleted project gives an empty stage.
	createStage(t, s, "p1", "dev")
	again.Stages = []store.Stage{{Name: "dev", Services: []store.Service{}}}
	checkProject(t, getProject(t, s, "p1"), again)

	if got := projectNames(listProjects(t, s)); !slices.Equal(got, []string{"first", "last", "p1"}) {
		t.Errorf("ListProjects names = %q, want [first last p1]: a recreated project comes last", got)
	}
}

func testStages(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))
	// Names out of alphabetical order, so that sorting by name fails.
	names := []string{"dev", "staging", "hardening", "production", "a-canary"}
	for _, stage := range names {
		createStage(t, s, "p1", stage)
	}

	p := getProject(t, s, "p1")
	if got := stageNames(p); !slices.Equal(got, names) {
		t.Errorf("stages = %q, want %q in creation order", got, names)
	}
	for _, st := range p.Stages {
		if st.Services == nil || len(st.Services) != 0 {
			t.Errorf("stage %q Services = %#v, want an empty slice", st.Name, st.Services)
		}
	}
	if got := stageNames(listProjects(t, s)[0]); !slices.Equal(got, names) {
		t.Errorf("stages from ListProjects = %q, want %q", got, names)
	}
}

func testStageCreateDuplicate(t *testing.T, s store.Projects) {
	createTree(t, s)

	err := s.CreateStage(context.Background(), "p1", "dev")
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateStage(p1, dev) again: error = %v, want ErrAlreadyExists", err)
	}
	p := getProject(t, s, "p1")
	if got := stageNames(p); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("stages = %q, want [dev prod]", got)
	}
	if got := serviceNames(p.Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of dev after the rejected create = %q, want [carts orders]", got)
	}
}

func testStageCreateUnknownProject(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))

	err := s.CreateStage(context.Background(), "missing", "dev")
	wantNotFound(t, "CreateStage(missing, dev)", err, store.ErrProjectNotFound)
	if _, err := s.GetProject(context.Background(), "missing"); !errors.Is(err, store.ErrProjectNotFound) {
		t.Errorf("GetProject(missing) after CreateStage: error = %v, want ErrProjectNotFound", err)
	}
	if got := getProject(t, s, "p1").Stages; got != nil {
		t.Errorf("stages of p1 = %#v, want nil", got)
	}
}

func testStageDelete(t *testing.T, s store.Projects) {
	createTree(t, s)
	createStage(t, s, "p1", "qa")
	ctx := context.Background()

	if err := s.DeleteStage(ctx, "p1", "dev"); err != nil {
		t.Fatalf("DeleteStage(p1, dev): %v", err)
	}
	p := getProject(t, s, "p1")
	if got := stageNames(p); !slices.Equal(got, []string{"prod", "qa"}) {
		t.Errorf("stages after deleting dev = %q, want [prod qa]", got)
	}
	if got := serviceNames(p.Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of prod = %q, want [carts orders]", got)
	}
	wantNotFound(t, "UpdateService(p1, dev, carts) after deleting dev",
		s.UpdateService(ctx, "p1", "dev", "carts", func(*store.Service) error { return nil }), store.ErrStageNotFound)

	// A recreated stage starts empty and comes last.
	createStage(t, s, "p1", "dev")
	p = getProject(t, s, "p1")
	if got := stageNames(p); !slices.Equal(got, []string{"prod", "qa", "dev"}) {
		t.Errorf("stages after recreating dev = %q, want [prod qa dev]", got)
	}
	if got := p.Stages[2].Services; got == nil || len(got) != 0 {
		t.Errorf("services of the recreated dev = %#v, want an empty slice", got)
	}

	// Without stages, Stages is nil again.
	for _, stage := range []string{"prod", "qa", "dev"} {
		if err := s.DeleteStage(ctx, "p1", stage); err != nil {
			t.Fatalf("DeleteStage(p1, %s): %v", stage, err)
		}
	}
	if got := getProject(t, s, "p1").Stages; got != nil {
		t.Errorf("Stages after deleting every stage = %#v, want nil", got)
	}
}

func testStageDeleteUnknown(t *testing.T, s store.Projects) {
	createTree(t, s)
	ctx := context.Background()

	wantNotFound(t, "DeleteStage(p1, missing)", s.DeleteStage(ctx, "p1", "missing"), store.ErrStageNotFound)
	wantNotFound(t, "DeleteStage(missing, dev)", s.DeleteStage(ctx, "missing", "dev"), store.ErrProjectNotFound)
	if got := stageNames(getProject(t, s, "p1")); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("stages = %q, want [dev prod]", got)
	}
}

func testServices(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("p1"))
	createStage(t, s, "p1", "dev")
	createStage(t, s, "p1", "prod")
	// Names out of alphabetical order, so that sorting by name fails.
	names := []string{"orders", "carts", "payment", "catalogue"}
	want := make([]store.Service, len(names))
	for i, name := range names {
		want[i] = store.Service{Name: name, CreationDate: createdAt(i), DeployedImage: name + ":1.0.0"}
		createService(t, s, "p1", "dev", want[i])
	}
	createService(t, s, "p1", "prod", newService("carts"))

	wantProject := newProject("p1")
	wantProject.Stages = []store.Stage{
		{Name: "dev", Services: want},
		{Name: "prod", Services: []store.Service{newService("carts")}},
	}
	checkProject(t, getProject(t, s, "p1"), wantProject)
	checkProject(t, listProjects(t, s)[0], wantProject)
}

func testServiceCreateDuplicate(t *testing.T, s store.Projects) {
	createTree(t, s)

	dup := newService("carts")
	dup.DeployedImage = "other:1"
	err := s.CreateService(context.Background(), "p1", "dev", dup)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateService(p1, dev, carts) again: error = %v, want ErrAlreadyExists", err)
	}
	if got := getService(t, s, "p1", "dev", "carts").DeployedImage; got != "" {
		t.Errorf("DeployedImage after the rejected create = %q, want empty", got)
	}
	if got := serviceNames(getProject(t, s, "p1").Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of dev = %q, want [carts orders]", got)
	}
}

func testServiceCreateUnknownPath(t *testing.T, s store.Projects) {
	createTree(t, s)
	ctx := context.Background()

	wantNotFound(t, "CreateService(p1, missing, x)",
		s.CreateService(ctx, "p1", "missing", newService("x")), store.ErrStageNotFound)
	wantNotFound(t, "CreateService(missing, dev, x)",
		s.CreateService(ctx, "missing", "dev", newService("x")), store.ErrProjectNotFound)
	for _, st := range getProject(t, s, "p1").Stages {
		if got := serviceNames(st); !slices.Equal(got, []string{"carts", "orders"}) {
			t.Errorf("services of %s = %q, want [carts orders]", st.Name, got)
		}
	}
}

func testServiceDelete(t *testing.T, s store.Projects) {
	createTree(t, s)
	createService(t, s, "p1", "dev", newService("payment"))
	ctx := context.Background()

	if err := s.DeleteService(ctx, "p1", "dev", "orders"); err != nil {
		t.Fatalf("DeleteService(p1, dev, orders): %v", err)
	}
	p := getProject(t, s, "p1")
	if got := serviceNames(p.Stages[0]); !slices.Equal(got, []string{"carts", "payment"}) {
		t.Errorf("services of dev = %q, want [carts payment]", got)
	}
	if got := serviceNames(p.Stages[1]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of prod = %q, want [carts orders]: only dev lost orders", got)
	}

	// Deleting every service leaves an empty, non-nil list.
	for _, svc := range []string{"carts", "payment"} {
		if err := s.DeleteService(ctx, "p1", "dev", svc); err != nil {
			t.Fatalf("DeleteService(p1, dev, %s): %v", svc, err)
		}
	}
	if got := getProject(t, s, "p1").Stages[0].Services; got == nil || len(got) != 0 {
		t.Errorf("services of dev after deleting all = %#v, want an empty slice", got)
	}

	// A recreated service starts from the given state.
	createService(t, s, "p1", "dev", newService("orders"))
	checkService(t, "dev", getService(t, s, "p1", "dev", "orders"), newService("orders"))
}

func testServiceDeleteUnknownPath(t *testing.T, s store.Projects) {
	createTree(t, s)
	ctx := context.Background()

	wantNotFound(t, "DeleteService(p1, dev, missing)",
		s.DeleteService(ctx, "p1", "dev", "missing"), store.ErrServiceNotFound)
	wantNotFound(t, "DeleteService(p1, missing, carts)",
		s.DeleteService(ctx, "p1", "missing", "carts"), store.ErrStageNotFound)
	wantNotFound(t, "DeleteService(missing, dev, carts)",
		s.DeleteService(ctx, "missing", "dev", "carts"), store.ErrProjectNotFound)
	if got := serviceNames(getProject(t, s, "p1").Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of dev = %q, want [carts orders]", got)
	}
}

func testServiceUpdateLastEventTypes(t *testing.T, s store.Projects) {
	createTree(t, s)
	deployed := store.EventRef{KeptnContext: "ctx-1", EventID: "ev-1", Time: createdAt(10)}
	tested := store.EventRef{KeptnContext: "ctx-1", EventID: "ev-2", Time: createdAt(20).Add(7)}

	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		if svc.LastEventTypes != nil {
			t.Errorf("LastEventTypes passed to the first update = %#v, want nil", svc.LastEventTypes)
		}
		svc.LastEventTypes = map[string]store.EventRef{"sh.keptn.events.deployment-finished": deployed}
		return nil
	})
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		if svc.LastEventTypes == nil {
			svc.LastEventTypes = map[string]store.EventRef{}
		}
		svc.LastEventTypes["sh.keptn.events.tests-finished"] = tested
		return nil
	})

	want := newService("carts")
	want.LastEventTypes = map[string]store.EventRef{
		"sh.keptn.events.deployment-finished": deployed,
		"sh.keptn.events.tests-finished":      tested,
	}
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)

	// A later event of a type replaces the earlier one.
	redeployed := store.EventRef{KeptnContext: "ctx-2", EventID: "ev-3", Time: createdAt(30)}
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		svc.LastEventTypes["sh.keptn.events.deployment-finished"] = redeployed
		return nil
	})
	want.LastEventTypes["sh.keptn.events.deployment-finished"] = redeployed
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)

	// The same service in another stage is untouched.
	checkService(t, "prod", getService(t, s, "p1", "prod", "carts"), newService("carts"))
}

func testServiceUpdateDeployedImage(t *testing.T, s store.Projects) {
	createTree(t, s)

	updateService(t, s, "p1", "prod", "orders", func(svc *store.Service) error {
		svc.DeployedImage = "docker.io/keptnexamples/orders:0.1.0"
		return nil
	})
	updateService(t, s, "p1", "prod", "orders", func(svc *store.Service) error {
		checkStringField(t, "DeployedImage passed to update", svc.DeployedImage, "docker.io/keptnexamples/orders:0.1.0")
		svc.DeployedImage = "docker.io/keptnexamples/orders:0.2.0"
		return nil
	})

	checkStringField(t, "DeployedImage", getService(t, s, "p1", "prod", "orders").DeployedImage,
		"docker.io/keptnexamples/orders:0.2.0")
	checkStringField(t, "DeployedImage of dev/orders", getService(t, s, "p1", "dev", "orders").DeployedImage, "")
}

func testServiceUpdateApprovals(t *testing.T, s store.Projects) {
	createTree(t, s)
	approval := func(id string) store.Approval {
		return store.Approval{EventID: id, KeptnContext: "ctx-" + id, Time: "2020-11-16T09:02:11.482Z", Image: "carts", Tag: id}
	}
	add := func(id string) {
		t.Helper()
		updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
			svc.OpenApprovals = append(svc.OpenApprovals, approval(id))
			return nil
		})
	}
	remove := func(id string) {
		t.Helper()
		updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
			svc.OpenApprovals = slices.DeleteFunc(svc.OpenApprovals, func(a store.Approval) bool { return a.EventID == id })
			return nil
		})
	}

	// Open approvals are not de-duplicated.
	for _, id := range []string{"c", "a", "b", "a"} {
		add(id)
	}
	want := newService("carts")
	want.OpenApprovals = []store.Approval{approval("c"), approval("a"), approval("b"), approval("a")}
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)

	remove("a")
	want.OpenApprovals = []store.Approval{approval("c"), approval("b")}
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)

	add("d")
	want.OpenApprovals = []store.Approval{approval("c"), approval("b"), approval("d")}
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)

	// Removing the last approval leaves nil, not an empty slice.
	for _, id := range []string{"c", "b", "d"} {
		remove(id)
	}
	if got := getService(t, s, "p1", "dev", "carts").OpenApprovals; got != nil {
		t.Errorf("OpenApprovals after removing all = %#v, want nil", got)
	}
	if got := getService(t, s, "p1", "prod", "carts").OpenApprovals; got != nil {
		t.Errorf("OpenApprovals of prod/carts = %#v, want nil", got)
	}
}

func testServiceUpdateRemediations(t *testing.T, s store.Projects) {
	createTree(t, s)
	remediation := func(id, keptnContext string) store.Remediation {
		return store.Remediation{
			EventID: id, KeptnContext: keptnContext, Time: "1605518493911275310",
			Type: "sh.keptn.event.problem.open", Action: "scale-" + id,
		}
	}

	for _, r := range []store.Remediation{remediation("r1", "ctx-1"), remediation("r2", "ctx-2"), remediation("r3", "ctx-1")} {
		updateService(t, s, "p1", "prod", "carts", func(svc *store.Service) error {
			svc.OpenRemediations = append(svc.OpenRemediations, r)
			return nil
		})
	}
	want := newService("carts")
	want.OpenRemediations = []store.Remediation{remediation("r1", "ctx-1"), remediation("r2", "ctx-2"), remediation("r3", "ctx-1")}
	checkService(t, "prod", getService(t, s, "p1", "prod", "carts"), want)

	// Closing a context removes all of its remediations.
	updateService(t, s, "p1", "prod", "carts", func(svc *store.Service) error {
		svc.OpenRemediations = slices.DeleteFunc(svc.OpenRemediations, func(r store.Remediation) bool {
			return r.KeptnContext == "ctx-1"
		})
		return nil
	})
	want.OpenRemediations = []store.Remediation{remediation("r2", "ctx-2")}
	checkService(t, "prod", getService(t, s, "p1", "prod", "carts"), want)

	updateService(t, s, "p1", "prod", "carts", func(svc *store.Service) error {
		svc.OpenRemediations = svc.OpenRemediations[:0]
		return nil
	})
	if got := getService(t, s, "p1", "prod", "carts").OpenRemediations; got != nil {
		t.Errorf("OpenRemediations after removing all = %#v, want nil", got)
	}
}

func testServiceUpdateErrorAborts(t *testing.T, s store.Projects) {
	createTree(t, s)
	want := newService("carts")
	want.DeployedImage = "carts:1"
	want.LastEventTypes = map[string]store.EventRef{"t1": {KeptnContext: "c1", EventID: "e1", Time: createdAt(1)}}
	want.OpenApprovals = []store.Approval{{EventID: "a1"}}
	want.OpenRemediations = []store.Remediation{{EventID: "r1"}}
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		svc.DeployedImage = want.DeployedImage
		svc.LastEventTypes = want.LastEventTypes
		svc.OpenApprovals = want.OpenApprovals
		svc.OpenRemediations = want.OpenRemediations
		return nil
	})

	errAbort := errors.New("abort update")
	err := s.UpdateService(context.Background(), "p1", "dev", "carts", func(svc *store.Service) error {
		svc.DeployedImage = "carts:2"
		svc.LastEventTypes["t2"] = store.EventRef{EventID: "e2"}
		svc.OpenApprovals = append(svc.OpenApprovals, store.Approval{EventID: "a2"})
		svc.OpenApprovals[0].Tag = "changed"
		svc.OpenRemediations = nil
		return errAbort
	})
	if err != errAbort {
		t.Errorf("UpdateService: error = %v, want the update function's error unchanged", err)
	}
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)
}

func testServiceUpdateKeepsNameAndDate(t *testing.T, s store.Projects) {
	createTree(t, s)

	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		checkStringField(t, "Name passed to update", svc.Name, "carts")
		checkTime(t, "CreationDate passed to update", svc.CreationDate, created)
		svc.Name = "renamed"
		svc.CreationDate = createdAt(100)
		svc.DeployedImage = "carts:1"
		return nil
	})

	want := newService("carts")
	want.DeployedImage = "carts:1"
	checkService(t, "dev", getService(t, s, "p1", "dev", "carts"), want)
	if got := serviceNames(getProject(t, s, "p1").Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of dev = %q, want [carts orders]", got)
	}
}

func testServiceUpdateUnknownPath(t *testing.T, s store.Projects) {
	createTree(t, s)
	called := false
	update := func(*store.Service) error {
		called = true
		return nil
	}
	ctx := context.Background()

	wantNotFound(t, "UpdateService(p1, dev, missing)",
		s.UpdateService(ctx, "p1", "dev", "missing", update), store.ErrServiceNotFound)
	wantNotFound(t, "UpdateService(p1, missing, carts)",
		s.UpdateService(ctx, "p1", "missing", "carts", update), store.ErrStageNotFound)
	wantNotFound(t, "UpdateService(missing, dev, carts)",
		s.UpdateService(ctx, "missing", "dev", "carts", update), store.ErrProjectNotFound)
	if called {
		t.Error("UpdateService called update for an unknown service")
	}
}

func testSameNamesInOtherParents(t *testing.T, s store.Projects) {
	createTree(t, s)
	createProject(t, s, newProject("p2"))
	createStage(t, s, "p2", "dev")
	createService(t, s, "p2", "dev", newService("carts"))

	updateService(t, s, "p2", "dev", "carts", func(svc *store.Service) error {
		svc.DeployedImage = "carts:p2"
		return nil
	})
	checkStringField(t, "DeployedImage of p2/dev/carts", getService(t, s, "p2", "dev", "carts").DeployedImage, "carts:p2")
	checkStringField(t, "DeployedImage of p1/dev/carts", getService(t, s, "p1", "dev", "carts").DeployedImage, "")

	if err := s.DeleteStage(context.Background(), "p2", "dev"); err != nil {
		t.Fatalf("DeleteStage(p2, dev): %v", err)
	}
	if got := serviceNames(getProject(t, s, "p1").Stages[0]); !slices.Equal(got, []string{"carts", "orders"}) {
		t.Errorf("services of p1/dev after deleting p2/dev = %q, want [carts orders]", got)
	}
}

func testNamesCompareExactly(t *testing.T, s store.Projects) {
	createProject(t, s, newProject("shop"))
	createProject(t, s, newProject("Shop"))
	createStage(t, s, "shop", "dev")
	createStage(t, s, "shop", "Dev")
	createStage(t, s, "shop", "dev ")
	createService(t, s, "shop", "dev", newService("carts"))
	createService(t, s, "shop", "dev", newService("CARTS"))

	if got := projectNames(listProjects(t, s)); !slices.Equal(got, []string{"shop", "Shop"}) {
		t.Errorf("ListProjects names = %q, want [shop Shop]", got)
	}
	p := getProject(t, s, "shop")
	if got := stageNames(p); !slices.Equal(got, []string{"dev", "Dev", "dev "}) {
		t.Errorf("stages = %q, want [dev Dev \"dev \"]", got)
	}
	if got := serviceNames(p.Stages[0]); !slices.Equal(got, []string{"carts", "CARTS"}) {
		t.Errorf("services of dev = %q, want [carts CARTS]", got)
	}
	_, err := s.GetProject(context.Background(), "SHOP")
	wantNotFound(t, "GetProject(SHOP)", err, store.ErrProjectNotFound)
}

func testNilVersusEmpty(t *testing.T, s store.Projects) {
	// Empty maps and slices given to the store come back as nil, and a
	// stage's missing service list comes back empty.
	p := newProject("p1")
	p.Stages = []store.Stage{
		{Name: "dev", Services: []store.Service{{
			Name:             "carts",
			CreationDate:     created,
			LastEventTypes:   map[string]store.EventRef{},
			OpenApprovals:    []store.Approval{},
			OpenRemediations: []store.Remediation{},
		}}},
		{Name: "prod"},
	}
	createProject(t, s, p)
	createProject(t, s, store.Project{Name: "p2", CreationDate: created, Stages: []store.Stage{}})
	createProject(t, s, newProject("p3"))
	createStage(t, s, "p3", "dev")
	createService(t, s, "p3", "dev", store.Service{
		Name:             "carts",
		CreationDate:     created,
		LastEventTypes:   map[string]store.EventRef{},
		OpenApprovals:    []store.Approval{},
		OpenRemediations: []store.Remediation{},
	})

	wantService := newService("carts")
	want := map[string]store.Project{
		"p1": {
			Name: "p1", GitUser: p.GitUser, GitRemoteURI: p.GitRemoteURI, CreationDate: created,
			Stages: []store.Stage{
				{Name: "dev", Services: []store.Service{wantService}},
				{Name: "prod", Services: []store.Service{}},
			},
		},
		"p2": {Name: "p2", CreationDate: created},
		"p3": {
			Name: "p3", GitUser: p.GitUser, GitRemoteURI: "https://git.example.com/acme/p3.git", CreationDate: created,
			Stages: []store.Stage{{Name: "dev", Services: []store.Service{wantService}}},
		},
	}
	for _, name := range []string{"p1", "p2", "p3"} {
		checkProject(t, getProject(t, s, name), want[name])
	}
	for _, got := range listProjects(t, s) {
		checkProject(t, got, want[got.Name])
	}

	// An update that leaves empty values stores nil ones too.
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		svc.LastEventTypes = map[string]store.EventRef{}
		svc.OpenApprovals = []store.Approval{}
		svc.OpenRemediations = []store.Remediation{}
		return nil
	})
	checkService(t, "p1/dev", getService(t, s, "p1", "dev", "carts"), wantService)
}

func testProjectTimePrecision(t *testing.T, s store.Projects) {
	plusTwo := time.FixedZone("CEST", 2*60*60)
	projectTime := time.Date(2020, 11, 16, 11, 2, 11, 999999999, plusTwo)
	serviceTime := time.Date(2021, 1, 2, 3, 4, 5, 1, time.FixedZone("", -(4*60*60+30*60)))
	eventTime := time.Date(2021, 6, 7, 8, 9, 10, 123456789, plusTwo)

	p := newProject("p1")
	p.CreationDate = projectTime
	createProject(t, s, p)
	createStage(t, s, "p1", "dev")
	createService(t, s, "p1", "dev", store.Service{Name: "carts", CreationDate: serviceTime})
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		svc.LastEventTypes = map[string]store.EventRef{"t": {EventID: "e", Time: eventTime}}
		return nil
	})

	check := func(source string, got store.Project) {
		t.Helper()
		times := []struct {
			name      string
			got, want time.Time
		}{
			{"project CreationDate", got.CreationDate, projectTime},
			{"service CreationDate", got.Stages[0].Services[0].CreationDate, serviceTime},
			{"EventRef Time", got.Stages[0].Services[0].LastEventTypes["t"].Time, eventTime},
		}
		for _, tc := range times {
			checkTime(t, source+": "+tc.name, tc.got, tc.want)
			if tc.got.Location() != time.UTC {
				t.Errorf("%s: %s location = %q, want UTC", source, tc.name, tc.got.Location())
			}
			if tc.got.Nanosecond() != tc.want.Nanosecond() {
				t.Errorf("%s: %s nanoseconds = %d, want %d", source, tc.name, tc.got.Nanosecond(), tc.want.Nanosecond())
			}
		}
	}
	check("GetProject", getProject(t, s, "p1"))
	check("ListProjects", listProjects(t, s)[0])
}

func testReturnedValuesAreCopies(t *testing.T, s store.Projects) {
	createTree(t, s)
	updateService(t, s, "p1", "dev", "carts", func(svc *store.Service) error {
		svc.LastEventTypes = map[string]store.EventRef{"t1": {EventID: "e1", Time: created}}
		svc.OpenApprovals = []store.Approval{{EventID: "a1"}}
		return nil
	})

	got := getProject(t, s, "p1")
	got.GitUser = "changed"
	got.Stages[0].Name = "changed"
	carts := &got.Stages[0].Services[0]
	carts.DeployedImage = "changed"
	carts.LastEventTypes["t2"] = store.EventRef{EventID: "e2"}
	carts.OpenApprovals[0].EventID = "changed"

	again := getProject(t, s, "p1")
	checkStringField(t, "GitUser", again.GitUser, "keptn-bot")
	if names := stageNames(again); !slices.Equal(names, []string{"dev", "prod"}) {
		t.Errorf("stages = %q, want [dev prod]", names)
	}
	svc := again.Stages[0].Services[0]
	checkStringField(t, "DeployedImage", svc.DeployedImage, "")
	if len(svc.LastEventTypes) != 1 {
		t.Errorf("LastEventTypes = %#v, want only t1", svc.LastEventTypes)
	}
	if ids := approvalIDs(svc.OpenApprovals); !slices.Equal(ids, []string{"a1"}) {
		t.Errorf("OpenApprovals IDs = %q, want [a1]", ids)
	}
}

func testProjectsClosedStore(t *testing.T, s store.Projects) {
	closer, ok := s.(interface{ Close() error })
	if !ok {
		t.Skip("the store has no Close method")
	}
	createTree(t, s)
	if err := closer.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	ctx := context.Background()
	noop := func(*store.Service) error { return nil }
	calls := map[string]error{
		"CreateProject": s.CreateProject(ctx, newProject("p2")),
		"UpdateProject": s.UpdateProject(ctx, "p1", func(*store.Project) error { return nil }),
		"DeleteProject": s.DeleteProject(ctx, "p1"),
		"CreateStage":   s.CreateStage(ctx, "p1", "qa"),
		"DeleteStage":   s.DeleteStage(ctx, "p1", "dev"),
		"CreateService": s.CreateService(ctx, "p1", "dev", newService("x")),
		"DeleteService": s.DeleteService(ctx, "p1", "dev", "carts"),
		"UpdateService": s.UpdateService(ctx, "p1", "dev", "carts", noop),
	}
	_, calls["GetProject"] = s.GetProject(ctx, "p1")
	_, calls["ListProjects"] = s.ListProjects(ctx)
	for name, err := range calls {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: error = %v, want ErrClosed", name, err)
		}
	}
}

func testConcurrentUpdateService(t *testing.T, s store.Projects) {
	createTree(t, s)
	const writers = 20

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("approval-%02d", w)
			err := s.UpdateService(context.Background(), "p1", "dev", "carts", func(svc *store.Service) error {
				svc.OpenApprovals = append(svc.OpenApprovals, store.Approval{EventID: id})
				return nil
			})
			if err != nil {
				errs <- fmt.Errorf("UpdateService for %s: %w", id, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	got := approvalIDs(getService(t, s, "p1", "dev", "carts").OpenApprovals)
	if len(got) != writers {
		t.Errorf("%d open approvals after %d concurrent appends, want %d: an update was lost", len(got), writers, writers)
	}
	for w := range writers {
		if id := fmt.Sprintf("approval-%02d", w); !slices.Contains(got, id) {
			t.Errorf("approval %s missing", id)
		}
	}
}

func testConcurrentProjects(t *testing.T, s store.Projects) {
	const writers, updates = 8, 10
	stages := []string{"dev", "staging", "prod"}
	services := []string{"carts", "orders"}

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			if err := buildProject(s, fmt.Sprintf("p%d", w), stages, services, updates); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	list := listProjects(t, s)
	if len(list) != writers {
		t.Fatalf("ListProjects returned %d projects, want %d", len(list), writers)
	}
	for _, p := range list {
		checkStringField(t, p.Name+" Shipyard", p.Shipyard, "c2hpcHlhcmQ=")
		if got := stageNames(p); !slices.Equal(got, stages) {
			t.Errorf("%s stages = %q, want %q", p.Name, got, stages)
			continue
		}
		for _, st := range p.Stages {
			if got := serviceNames(st); !slices.Equal(got, services) {
				t.Errorf("%s/%s services = %q, want %q", p.Name, st.Name, got, services)
				continue
			}
			for _, svc := range st.Services {
				if n := len(svc.OpenApprovals); n != updates {
					t.Errorf("%s/%s/%s has %d approvals, want %d", p.Name, st.Name, svc.Name, n, updates)
				}
			}
		}
	}
}

// buildProject creates a project with the given stages and services, adds
// updates approvals to each service and sets the shipyard.
func buildProject(s store.Projects, project string, stages, services []string, updates int) error {
	ctx := context.Background()
	if err := s.CreateProject(ctx, newProject(project)); err != nil {
		return fmt.Errorf("CreateProject(%s): %w", project, err)
	}
	for _, stage := range stages {
		if err := s.CreateStage(ctx, project, stage); err != nil {
			return fmt.Errorf("CreateStage(%s, %s): %w", project, stage, err)
		}
		for _, svc := range services {
			if err := s.CreateService(ctx, project, stage, newService(svc)); err != nil {
				return fmt.Errorf("CreateService(%s, %s, %s): %w", project, stage, svc, err)
			}
		}
	}
	for i := range updates {
		for _, stage := range stages {
			for _, svc := range services {
				err := s.UpdateService(ctx, project, stage, svc, func(state *store.Service) error {
					state.OpenApprovals = append(state.OpenApprovals, store.Approval{EventID: fmt.Sprintf("a%d", i)})
					return nil
				})
				if err != nil {
					return fmt.Errorf("UpdateService(%s, %s, %s): %w", project, stage, svc, err)
				}
			}
		}
	}
	err := s.UpdateProject(ctx, project, func(p *store.Project) error {
		p.Shipyard = "c2hpcHlhcmQ="
		return nil
	})
	if err != nil {
		return fmt.Errorf("UpdateProject(%s): %w", project, err)
	}
	return nil
}
