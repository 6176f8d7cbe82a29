package workflow

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/store"
)

// CreateServiceInput is the body of POST /v1/project/{projectName}/service.
type CreateServiceInput struct {
	Project string
	Service string
	// HelmChart is a base64 .tgz Helm chart, or "".
	HelmChart string
	// DeploymentStrategies maps a stage to "direct" or "duplicate".
	DeploymentStrategies map[string]string
}

// serviceCreateData is the data of a service.create event. helmChart and
// deploymentStrategies are always present, as Keptn 0.7 sent them.
type serviceCreateData struct {
	Project              string            `json:"project"`
	Service              string            `json:"service"`
	HelmChart            string            `json:"helmChart"`
	DeploymentStrategies map[string]string `json:"deploymentStrategies"`
}

// serviceData is the data of a service.delete event.
type serviceData struct {
	Project string `json:"project"`
	Service string `json:"service"`
}

// Deployment strategies a service can have in a stage.
var serviceDeploymentStrategies = []string{"direct", "duplicate"}

// CreateService creates a service in every stage of a project, in stage
// order. A Helm chart is stored in each stage as helm/<service>.tgz, which
// the configuration-service rule unpacks into the chart directory
// <service>/helm/<service>/. A failing step removes the service from the
// stages it was created in. It returns an InvalidError for invalid input, an
// error wrapping store.ErrProjectNotFound for an unknown project and one
// wrapping store.ErrAlreadyExists when a stage has the service.
func (w *Workflows) CreateService(ctx context.Context, in CreateServiceInput) (keptn.EventContext, error) {
	defer w.projects.Lock(in.Project)()
	stages, err := w.checkNewService(ctx, in)
	if err != nil {
		return keptn.EventContext{}, err
	}

	r, err := w.start()
	if err != nil {
		return keptn.EventContext{}, err
	}
	r.step("Creating service %s in project %s", in.Service, in.Project)
	var created []string
	rollback := func() {
		for _, stage := range created {
			w.undo(ctx, "delete the service "+in.Service+" from stage "+stage, func(ctx context.Context) error {
				return w.config.DeleteService(ctx, in.Project, stage, in.Service)
			})
		}
	}
	for _, stage := range stages {
		if err := w.createServiceInStage(ctx, r, in, stage); err != nil {
			rollback()
			return keptn.EventContext{}, r.finish(err, "")
		}
		created = append(created, stage)
	}

	strategies := in.DeploymentStrategies
	if strategies == nil {
		strategies = map[string]string{}
	}
	data := serviceCreateData{Project: in.Project, Service: in.Service, HelmChart: in.HelmChart, DeploymentStrategies: strategies}
	message := fmt.Sprintf("Service %s created in project %s", in.Service, in.Project)
	err = r.emit(ctx, TypeServiceCreate, data)
	if err == nil {
		err = r.emit(ctx, TypeServiceCreateFinished, succeeded(in.Project, in.Service, message))
	}
	if err != nil {
		rollback()
		return keptn.EventContext{}, r.finish(err, "")
	}
	return r.ec, r.finish(nil, "%s", message)
}

// checkNewService checks the input of CreateService and returns the stages
// of the project.
func (w *Workflows) checkNewService(ctx context.Context, in CreateServiceInput) ([]string, error) {
	if err := configsvc.ValidateName("service", in.Service); err != nil {
		return nil, err
	}
	if in.HelmChart != "" {
		archive, err := base64.StdEncoding.DecodeString(in.HelmChart)
		if err != nil {
			return nil, invalid("invalid helmChart: it is not standard base64 with \"=\" padding (RFC 4648)")
		}
		if err := configsvc.CheckChart(chartURI(in.Service), archive); err != nil {
			return nil, err
		}
	}

	stages, err := w.stagesOf(ctx, in.Project)
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, errProjectHasNoStage(in.Project)
	}
	names := make([]string, len(stages))
	for i, st := range stages {
		names[i] = st.Name
		if slices.ContainsFunc(st.Services, func(s store.Service) bool { return s.Name == in.Service }) {
			return nil, fmt.Errorf("service %q in stage %q: %w", in.Service, st.Name, store.ErrAlreadyExists)
		}
	}
	for _, stage := range slices.Sorted(maps.Keys(in.DeploymentStrategies)) {
		strategy := in.DeploymentStrategies[stage]
		if !slices.Contains(serviceDeploymentStrategies, strategy) {
			return nil, invalid("The deployment strategy %s is invalid: stage %q must use \"direct\" or \"duplicate\"", strategy, stage)
		}
		if !slices.Contains(names, stage) {
			return nil, invalid("invalid deploymentStrategies: project %q has no stage %q", in.Project, stage)
		}
	}
	return names, nil
}

// createServiceInStage creates the service in one stage and stores its
// chart there.
func (w *Workflows) createServiceInStage(ctx context.Context, r *run, in CreateServiceInput, stage string) error {
	if err := w.config.CreateService(ctx, in.Project, stage, in.Service); err != nil {
		return err
	}
	r.step("Service %s created in stage %s", in.Service, stage)
	if in.HelmChart == "" {
		return nil
	}
	level := configsvc.Level{Project: in.Project, Stage: stage, Service: in.Service}
	resources := []configsvc.Resource{{URI: chartURI(in.Service), Content: in.HelmChart}}
	if _, err := w.config.WriteResources(ctx, level, resources, "Added resources", true); err != nil {
		// The service exists in this stage already, so its removal is
		// part of this step's failure.
		w.undo(ctx, "delete the service "+in.Service+" from stage "+stage, func(ctx context.Context) error {
			return w.config.DeleteService(ctx, in.Project, stage, in.Service)
		})
		return err
	}
	r.step("Helm chart of service %s stored in stage %s", in.Service, stage)
	return nil
}

// chartURI returns the path where Keptn 0.7 stored a service's chart,
// relative to the service directory.
func chartURI(service string) string {
	return "helm/" + service + ".tgz"
}

// DeleteService removes a service from every stage of a project that has
// it. It returns an error wrapping store.ErrProjectNotFound for an unknown
// project and store.ErrServiceNotFound when no stage has the service.
func (w *Workflows) DeleteService(ctx context.Context, project, service string) (keptn.EventContext, error) {
	defer w.projects.Lock(project)()
	stages, err := w.stagesOf(ctx, project)
	if err != nil {
		return keptn.EventContext{}, err
	}
	var having []string
	for _, st := range stages {
		if slices.ContainsFunc(st.Services, func(s store.Service) bool { return s.Name == service }) {
			having = append(having, st.Name)
		}
	}
	if len(having) == 0 {
		return keptn.EventContext{}, fmt.Errorf("service %q: %w", service, store.ErrServiceNotFound)
	}

	r, err := w.start()
	if err != nil {
		return keptn.EventContext{}, err
	}
	r.step("Deleting service %s from project %s", service, project)
	for _, stage := range having {
		if err := w.config.DeleteService(ctx, project, stage, service); err != nil {
			return keptn.EventContext{}, r.finish(err, "")
		}
		r.step("Service %s deleted from stage %s", service, stage)
	}

	message := fmt.Sprintf("Service %s deleted from project %s", service, project)
	err = r.emit(ctx, TypeServiceDelete, serviceData{Project: project, Service: service})
	if err == nil {
		err = r.emit(ctx, TypeServiceDeleteFinished, succeeded(project, service, message))
	}
	if err != nil {
		return keptn.EventContext{}, r.finish(err, "")
	}
	return r.ec, r.finish(nil, "%s", message)
}
