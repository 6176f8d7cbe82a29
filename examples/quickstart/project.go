package main

import (
	"context"
	"encoding/base64"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/keptn-api/keptn-api/client/configuration/project"
	"github.com/keptn-api/keptn-api/client/configuration/project_resource"
	"github.com/keptn-api/keptn-api/client/configuration/stage"
	configmodels "github.com/keptn-api/keptn-api/models/configuration"
)

// createProject creates a project with the stages of a Keptn 0.7 shipyard
// and stores the shipyard as the project's shipyard.yaml, the steps that
// Keptn 0.7 takes for POST /v1/project. It returns the stage names.
//
// NOTE: it calls the configuration-service collection step by step, because
// the api collection's POST /v1/project, which takes the shipyard in one
// request, is not implemented yet and returns 501. Move to that call once it
// is: unlike these steps it is one request that either fully succeeds or
// leaves nothing behind.
func createProject(ctx context.Context, keptn *clients, name string, shipyardYAML []byte) ([]string, error) {
	stages, err := shipyardStages(shipyardYAML)
	if err != nil {
		return nil, err
	}

	create := project.NewPostProjectParamsWithContext(ctx)
	create.Project = &configmodels.Project{ProjectName: name}
	if _, err := keptn.Configuration.Project.PostProjectContext(ctx, create, nil); err != nil {
		return nil, describe(err)
	}

	for _, stageName := range stages {
		params := stage.NewPostProjectProjectNameStageParamsWithContext(ctx)
		params.ProjectName = name
		params.Stage = &configmodels.Stage{StageName: stageName}
		if _, err := keptn.Configuration.Stage.PostProjectProjectNameStageContext(ctx, params, nil); err != nil {
			return nil, fmt.Errorf("create stage %s: %w", stageName, describe(err))
		}
	}

	uri := "shipyard.yaml"
	upload := project_resource.NewPostProjectProjectNameResourceParamsWithContext(ctx)
	upload.ProjectName = name
	upload.Resources = &configmodels.ResourceList{Resources: []*configmodels.Resource{{
		ResourceURI:     &uri,
		ResourceContent: base64.StdEncoding.EncodeToString(shipyardYAML),
	}}}
	if _, err := keptn.Configuration.ProjectResource.PostProjectProjectNameResourceContext(ctx, upload, nil); err != nil {
		return nil, fmt.Errorf("store shipyard.yaml: %w", describe(err))
	}
	return stages, nil
}

// shipyardStages returns the stage names of a Keptn 0.7 shipyard, in order.
func shipyardStages(shipyardYAML []byte) ([]string, error) {
	var doc struct {
		Stages []struct {
			Name string `yaml:"name"`
		} `yaml:"stages"`
	}
	if err := yaml.Unmarshal(shipyardYAML, &doc); err != nil {
		return nil, fmt.Errorf("invalid shipyard: %w", err)
	}
	var names []string
	for i, s := range doc.Stages {
		if s.Name == "" {
			return nil, fmt.Errorf("invalid shipyard: stage %d has no name", i+1)
		}
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("invalid shipyard: it lists no stages")
	}
	return names, nil
}
