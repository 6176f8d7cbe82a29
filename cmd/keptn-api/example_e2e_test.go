package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestQuickstartExample builds examples/quickstart, runs it against the
// binary as an integrator would, and checks over plain HTTP that everything
// it reports is stored. Runs that fail must show the server's error body.
func TestQuickstartExample(t *testing.T) {
	example := filepath.Join(t.TempDir(), "quickstart")
	build := exec.Command("go", "build", "-o", example, "../../examples/quickstart")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/quickstart: %v\n%s", err, out)
	}
	token := "quickstart-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token)
	runExample := func(token string, args ...string) (stdout, stderr string, err error) {
		cmd := exec.Command(example, args...)
		cmd.Env = append(os.Environ(), "KEPTN_ENDPOINT="+p.endpoint, "KEPTN_API_TOKEN="+token)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		return out.String(), errOut.String(), err
	}

	stdout, stderr, err := runExample(token)
	if err != nil {
		t.Fatalf("quickstart failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	for _, want := range []string{
		"Keptn API 0.7.3",
		"created project sockshop with stages dev, hardening, production",
		"log of the project creation:\n" +
			"  INFO Creating project sockshop with the stages dev, hardening, production\n" +
			"  INFO Stage dev created\n" +
			"  INFO Stage hardening created\n" +
			"  INFO Stage production created\n" +
			"  INFO Shipyard file shipyard.yaml added to project sockshop\n" +
			"  INFO Project sockshop created\n",
		"uploaded jmeter/jmeter.conf.yaml to stage hardening in commit ",
		"of type sh.keptn.event.configuration.change from https://ci.example.com/quickstart",
		"stages of sockshop: dev, hardening, production",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, stdout)
		}
	}

	config := p.endpoint + "/configuration-service/v1/project/sockshop"
	for _, file := range []struct{ name, example, url string }{
		{"shipyard.yaml", "shipyard.yaml", config + "/resource/shipyard.yaml"},
		{"jmeter/jmeter.conf.yaml", "jmeter.conf.yaml", config + "/stage/hardening/resource/jmeter%2Fjmeter.conf.yaml"},
	} {
		t.Run(file.name+" stored", func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("../../examples/quickstart", file.example))
			if err != nil {
				t.Fatal(err)
			}
			if got := resourceContent(t, file.url, token); !bytes.Equal(got, want) {
				t.Errorf("stored %s differs from the example's:\n%s", file.name, got)
			}
		})
	}

	t.Run("event stored", func(t *testing.T) {
		m := regexp.MustCompile(`keptnContext (\S+)`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("quickstart printed no keptnContext:\n%s", stdout)
		}
		status, body := request(t, http.MethodGet, p.endpoint+"/mongodb-datastore/event?keptnContext="+m[1], token, nil)
		if status != http.StatusOK {
			t.Fatalf("datastore query: status %d: %s", status, body)
		}
		if !bytes.Contains(body, []byte(`"source":"https://ci.example.com/quickstart"`)) || !bytes.Contains(body, []byte(`"project":"sockshop"`)) {
			t.Errorf("datastore lacks the example's event:\n%s", body)
		}
	})

	t.Run("second run shows the error body", func(t *testing.T) {
		_, stderr, err := runExample(token)
		if err == nil {
			t.Fatal("creating the same project twice succeeded")
		}
		if want := `create project sockshop: server returned 409: project "sockshop": already exists`; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})

	t.Run("wrong token shows 401", func(t *testing.T) {
		_, stderr, err := runExample("wrong-token", "-project", "other")
		if err == nil {
			t.Fatal("the example succeeded with a wrong token")
		}
		if want := "server returned 401: incorrect api key auth"; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
		if !strings.Contains(stderr, "the server rejected KEPTN_API_TOKEN") {
			t.Errorf("stderr lacks the token hint:\n%s", stderr)
		}
		if strings.Contains(stderr, "wrong-token") {
			t.Errorf("stderr shows the token:\n%s", stderr)
		}
	})

	t.Run("invalid name shows the message", func(t *testing.T) {
		_, stderr, err := runExample(token, "-project", "Bad_Name")
		if err == nil {
			t.Fatal("the example created a project with an invalid name")
		}
		if want := `server returned 400: invalid project name "Bad_Name"`; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})
}

// resourceContent reads a resource from the configuration-service collection
// and decodes its base64 content.
func resourceContent(t *testing.T, url, token string) []byte {
	t.Helper()
	status, body := request(t, http.MethodGet, url, token, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, status, body)
	}
	var resource struct {
		ResourceContent string `json:"resourceContent"`
	}
	if err := json.Unmarshal(body, &resource); err != nil {
		t.Fatal(err)
	}
	content, err := base64.StdEncoding.DecodeString(resource.ResourceContent)
	if err != nil {
		t.Fatalf("resourceContent of %s: %v", url, err)
	}
	return content
}
