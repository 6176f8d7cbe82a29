package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// servedSpecs are the entries of the Swagger UI's spec selector, in order,
// with the path of each spec below the endpoint and its public base path.
var servedSpecs = []struct {
	name, path, basePath string
}{
	{"api", "/swagger-ui/swagger.yaml", "/api/v1"},
	{"configuration-service", "/configuration-service/swagger-ui/swagger.yaml", "/api/configuration-service/v1"},
	{"mongodb-datastore", "/mongodb-datastore/swagger-ui/swagger.yaml", "/api/mongodb-datastore"},
}

// servedSpec is what the tests read from a spec the server publishes.
type servedSpec struct {
	title, basePath string
	// schemes lists where the spec forces a scheme: "top level" or an
	// operation such as "GET /event".
	schemes []string
	// operations are "METHOD path" strings, sorted, with the path as the spec
	// writes it below basePath.
	operations []string
}

// TestServedSpecsForceNoScheme checks that the published specs carry the
// public basePath and no schemes, so "Try it out" uses the scheme of the
// page and works behind http and https alike.
func TestServedSpecsForceNoScheme(t *testing.T) {
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", "spec-test-token")
	for _, s := range servedSpecs {
		spec := fetchSpec(t, p.endpoint+s.path)
		if spec.basePath != s.basePath {
			t.Errorf("%s: basePath = %q, want %q", s.name, spec.basePath, s.basePath)
		}
		if len(spec.schemes) > 0 {
			t.Errorf("%s: schemes forced at %q", s.name, spec.schemes)
		}
		if len(spec.operations) == 0 {
			t.Errorf("%s: the spec has no operations", s.name)
		}
	}
}

// fetchSpec downloads a published spec without a token, as the Swagger UI
// does, and parses it.
func fetchSpec(t *testing.T, specURL string) servedSpec {
	t.Helper()
	status, body := request(t, http.MethodGet, specURL, "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", specURL, status, body)
	}
	var doc struct {
		Info struct {
			Title string `yaml:"title"`
		} `yaml:"info"`
		BasePath string                    `yaml:"basePath"`
		Schemes  []string                  `yaml:"schemes"`
		Paths    map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: invalid YAML: %v", specURL, err)
	}

	spec := servedSpec{title: doc.Info.Title, basePath: doc.BasePath}
	if doc.Schemes != nil {
		spec.schemes = append(spec.schemes, "top level")
	}
	for path, item := range doc.Paths {
		for method, value := range item {
			operation, ok := value.(map[string]any)
			if method == "parameters" || !ok {
				continue
			}
			name := strings.ToUpper(method) + " " + path
			spec.operations = append(spec.operations, name)
			if _, ok := operation["schemes"]; ok {
				spec.schemes = append(spec.schemes, name)
			}
		}
	}
	slices.Sort(spec.operations)
	return spec
}
