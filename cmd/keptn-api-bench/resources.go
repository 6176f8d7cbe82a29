package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The configuration-service scenarios work in their own project, so they
// touch none of the seeded events.
const (
	benchProject = "bench-config"
	benchStage   = "dev"
	benchService = "carts"
	// uploadPaths is how many distinct files the upload scenario writes, so
	// that most uploads change a file and make a real commit.
	uploadPaths = 1000
	// readResourceSize is the size of the file that the read scenario gets,
	// in bytes: a typical Helm values.yaml.
	readResourceSize = 2048
)

// configurationBase is the base URL of the configuration-service collection.
func configurationBase(srv *server) string {
	return srv.baseURL + "/api/configuration-service/v1"
}

// setupResources creates the project, stage and service of the resource
// scenarios and the file that the read scenario gets, and returns that
// file's URL.
func setupResources(ctx context.Context, client *http.Client, srv *server) (string, error) {
	base := configurationBase(srv)
	steps := []struct {
		url, body string
		status    int
	}{
		{base + "/project", `{"projectName":"` + benchProject + `"}`, http.StatusNoContent},
		{base + "/project/" + benchProject + "/stage", `{"stageName":"` + benchStage + `"}`, http.StatusNoContent},
		{base + "/project/" + benchProject + "/stage/" + benchStage + "/service", `{"serviceName":"` + benchService + `"}`, http.StatusNoContent},
	}
	for _, s := range steps {
		status, reply, err := send(ctx, client, http.MethodPost, s.url, srv.token, []byte(s.body))
		if err != nil {
			return "", err
		}
		if status != s.status {
			return "", fmt.Errorf("POST %s returned %d, expected %d: %s", s.url, status, s.status, snippet(reply))
		}
	}

	content := strings.Repeat("replicaCount: 1\n", readResourceSize/16)
	body, err := json.Marshal(map[string]any{"resources": []map[string]string{{
		"resourceURI":     "helm/values.yaml",
		"resourceContent": base64.StdEncoding.EncodeToString([]byte(content)),
	}}})
	if err != nil {
		return "", err
	}
	serviceURL := base + "/project/" + benchProject + "/stage/" + benchStage + "/service/" + benchService
	status, reply, err := send(ctx, client, http.MethodPost, serviceURL+"/resource", srv.token, body)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("POST %s/resource returned %d, expected 201: %s", serviceURL, status, snippet(reply))
	}

	readURL := serviceURL + "/resource/" + url.PathEscape("helm/values.yaml") + "?disableUpstreamSync=true"
	status, reply, err = send(ctx, client, http.MethodGet, readURL, srv.token, nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || !strings.Contains(string(reply), base64.StdEncoding.EncodeToString([]byte(content))[:40]) {
		return "", fmt.Errorf("GET %s returned %d without the uploaded content: %s", readURL, status, snippet(reply))
	}
	return readURL, nil
}

// uploadTargets returns the URLs and bodies of the upload scenario: PUTs of
// small files to the stage, each body with different content.
func uploadTargets(srv *server) (urls []string, bodies [][]byte) {
	stageURL := configurationBase(srv) + "/project/" + benchProject + "/stage/" + benchStage
	for i := range uploadPaths {
		urls = append(urls, stageURL+"/resource/"+url.PathEscape(fmt.Sprintf("uploads/file-%04d.yaml", i)))
		content := fmt.Sprintf("upload: %d\nowner: bench\n", i)
		bodies = append(bodies, []byte(`{"resourceURI":"x","resourceContent":"`+base64.StdEncoding.EncodeToString([]byte(content))+`"}`))
	}
	return urls, bodies
}
