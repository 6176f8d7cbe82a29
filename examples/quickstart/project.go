package main

import (
	"context"
	"encoding/base64"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/keptn-api/keptn-api/client/api/project"
	apimodels "github.com/keptn-api/keptn-api/models/api"
)

// createProject creates a project from a Keptn 0.7 shipyard with one
// request: keptn-api creates the project, its stages in shipyard order and
// its shipyard.yaml, or nothing when a step fails. It returns the stage
// names and the eventContext, whose log followLog reads.
func createProject(ctx context.Context, keptn *clients, name string, shipyardYAML []byte) ([]string, *apimodels.EventContext, error) {
	stages, err := shipyardStages(shipyardYAML)
	if err != nil {
		return nil, nil, err
	}

	encoded := base64.StdEncoding.EncodeToString(shipyardYAML)
	params := project.NewPostProjectParamsWithContext(ctx)
	params.Project = &apimodels.Project{Name: &name, Shipyard: &encoded}
	created, err := keptn.API.Project.PostProjectContext(ctx, params, nil)
	if err != nil {
		return nil, nil, describe(err)
	}
	return stages, created.Payload, nil
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
