// Command quickstart shows how a Go program talks to keptn-api through the
// generated clients in client/. It checks the token, creates a project from a
// shipyard, follows the creation's log on the log websocket and uploads a
// file to a stage. Then it sends an event, reads the event back from the
// datastore and lists the project's stages.
//
// It reads the endpoint and the API token from the environment, as the
// README's walkthrough sets them:
//
//	export KEPTN_ENDPOINT=http://127.0.0.1:8080/api
//	export KEPTN_API_TOKEN=$(cat keptn-data/api-token)
//	go run ./examples/quickstart -project sockshop
package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	apievent "github.com/keptn-api/keptn-api/client/api/event"
	"github.com/keptn-api/keptn-api/client/api/metadata"
	"github.com/keptn-api/keptn-api/client/configuration/stage"
	"github.com/keptn-api/keptn-api/client/configuration/stage_resource"
	datastoreevent "github.com/keptn-api/keptn-api/client/datastore/event"
	apimodels "github.com/keptn-api/keptn-api/models/api"
	configmodels "github.com/keptn-api/keptn-api/models/configuration"
	datastoremodels "github.com/keptn-api/keptn-api/models/datastore"
)

var (
	//go:embed shipyard.yaml
	shipyard []byte
	//go:embed jmeter.conf.yaml
	jmeterConfig []byte
)

// The uploaded file goes to this stage, which the shipyard defines.
const (
	resourceStage = "hardening"
	resourceURI   = "jmeter/jmeter.conf.yaml"
)

func main() {
	project := flag.String("project", "sockshop", "name of the project to create")
	timeout := flag.Duration("timeout", time.Minute, "time limit for all requests together")
	flag.Parse()

	endpoint := os.Getenv("KEPTN_ENDPOINT")
	token := os.Getenv("KEPTN_API_TOKEN")
	if endpoint == "" || token == "" {
		fmt.Fprintln(os.Stderr, "quickstart: set KEPTN_ENDPOINT (for example http://127.0.0.1:8080/api) and KEPTN_API_TOKEN")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if err := run(ctx, endpoint, token, *project, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		// A *serverError carries the status and body of the failed call.
		var failed *serverError
		if errors.As(err, &failed) && failed.Status == http.StatusUnauthorized {
			fmt.Fprintln(os.Stderr, "quickstart: the server rejected KEPTN_API_TOKEN; use the token of its data directory or --api-token")
		}
		os.Exit(1)
	}
}

// run walks through the calls an integration typically makes and prints what
// each one returned.
func run(ctx context.Context, endpoint, token, project string, out io.Writer) error {
	keptn, err := connect(ctx, endpoint, token)
	if err != nil {
		return err
	}
	meta, err := keptn.API.Metadata.MetadataContext(ctx, metadata.NewMetadataParams(), nil)
	if err != nil {
		return fmt.Errorf("read metadata: %w", describe(err))
	}
	fmt.Fprintf(out, "connected to %s, Keptn API %s\n", endpoint, meta.Payload.Keptnversion)

	stages, created, err := createProject(ctx, keptn, project, shipyard)
	if err != nil {
		return fmt.Errorf("create project %s: %w", project, err)
	}
	fmt.Fprintf(out, "created project %s with stages %s\n", project, strings.Join(stages, ", "))
	fmt.Fprintln(out, "log of the project creation:")
	if err := followLog(ctx, endpoint, created, out); err != nil {
		return fmt.Errorf("follow the log of project %s: %w", project, err)
	}

	commit, err := uploadStageResource(ctx, keptn, project, resourceStage, resourceURI, jmeterConfig)
	if err != nil {
		return fmt.Errorf("upload %s to stage %s: %w", resourceURI, resourceStage, err)
	}
	fmt.Fprintf(out, "uploaded %s to stage %s in commit %s\n", resourceURI, resourceStage, commit)

	keptnContext, err := sendEvent(ctx, keptn, project, stages[0])
	if err != nil {
		return fmt.Errorf("send event: %w", err)
	}
	fmt.Fprintf(out, "sent a configuration change, keptnContext %s\n", keptnContext)

	events, err := eventsOfContext(ctx, keptn, keptnContext)
	if err != nil {
		return fmt.Errorf("read events of context %s: %w", keptnContext, err)
	}
	for _, ev := range events {
		fmt.Fprintf(out, "datastore has event %s of type %s from %s, stored at %s\n",
			ev.ID, deref(ev.Type), deref(ev.Source), ev.Time)
	}

	names, err := listStages(ctx, keptn, project)
	if err != nil {
		return fmt.Errorf("list stages of %s: %w", project, err)
	}
	fmt.Fprintf(out, "stages of %s: %s\n", project, strings.Join(names, ", "))
	return nil
}

// uploadStageResource writes one file to a stage branch and returns the
// commit that holds it.
func uploadStageResource(ctx context.Context, keptn *clients, project, stageName, uri string, content []byte) (string, error) {
	params := stage_resource.NewPostProjectProjectNameStageStageNameResourceParamsWithContext(ctx)
	params.ProjectName = project
	params.StageName = stageName
	params.Resources = &configmodels.ResourceList{Resources: []*configmodels.Resource{{
		ResourceURI:     &uri,
		ResourceContent: base64.StdEncoding.EncodeToString(content),
	}}}
	created, err := keptn.Configuration.StageResource.PostProjectProjectNameStageStageNameResourceContext(ctx, params, nil)
	if err != nil {
		return "", describe(err)
	}
	return created.Payload.Version, nil
}

// sendEvent sends a configuration change for the carts service, as a CI
// pipeline does, and returns the Keptn context the server assigned.
func sendEvent(ctx context.Context, keptn *clients, project, stageName string) (string, error) {
	data, err := json.Marshal(map[string]any{
		"project":      project,
		"stage":        stageName,
		"service":      "carts",
		"valuesCanary": map[string]string{"image": "docker.io/keptnexamples/carts:0.12.1"},
	})
	if err != nil {
		return "", err
	}
	eventType := "sh.keptn.event.configuration.change"
	source := "https://ci.example.com/quickstart"
	params := apievent.NewPostEventParamsWithContext(ctx)
	params.Body = &apimodels.KeptnContextExtendedCE{
		Type:        &eventType,
		Source:      &source,
		Contenttype: "application/json",
		Data:        data,
	}
	accepted, err := keptn.API.Event.PostEventContext(ctx, params, nil)
	if err != nil {
		return "", describe(err)
	}
	return deref(accepted.Payload.KeptnContext), nil
}

// eventsOfContext reads every event of a Keptn context from the datastore,
// following nextPageKey, which is absent on the last page.
func eventsOfContext(ctx context.Context, keptn *clients, keptnContext string) ([]*datastoremodels.KeptnContextExtendedCE, error) {
	var events []*datastoremodels.KeptnContextExtendedCE
	var next *string
	for {
		params := datastoreevent.NewGetEventsParamsWithContext(ctx)
		params.KeptnContext = &keptnContext
		params.NextPageKey = next
		page, err := keptn.Datastore.Event.GetEventsContext(ctx, params, nil)
		if err != nil {
			return nil, describe(err)
		}
		events = append(events, page.Payload.Events...)
		if page.Payload.NextPageKey == "" {
			return events, nil
		}
		next = &page.Payload.NextPageKey
	}
}

// listStages returns the names of a project's stages. The configuration
// service pages with nextPageKey too, but marks the last page with "0".
func listStages(ctx context.Context, keptn *clients, project string) ([]string, error) {
	var names []string
	var next *string
	for {
		params := stage.NewGetProjectProjectNameStageParamsWithContext(ctx)
		params.ProjectName = project
		params.NextPageKey = next
		page, err := keptn.Configuration.Stage.GetProjectProjectNameStageContext(ctx, params, nil)
		if err != nil {
			return nil, describe(err)
		}
		for _, s := range page.Payload.Stages {
			names = append(names, s.StageName)
		}
		if key := page.Payload.NextPageKey; key == "" || key == "0" {
			return names, nil
		}
		next = &page.Payload.NextPageKey
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
