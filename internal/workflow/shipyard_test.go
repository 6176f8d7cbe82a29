package workflow

import (
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"github.com/keptn-api/keptn-api/internal/configsvc"
)

func TestParseShipyard(t *testing.T) {
	const shipyard = `stages:
  - name: dev
    deployment_strategy: direct
    test_strategy: functional
  - name: staging
    deployment_strategy: user_managed
    approval_strategy:
      pass: automatic
      warning: manual
  - name: production
    deployment_strategy: blue_green_service
    test_strategy: performance
    remediation_strategy: automated
`
	raw, s, err := ParseShipyard(base64.StdEncoding.EncodeToString([]byte(shipyard)))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != shipyard {
		t.Errorf("raw = %q, want the decoded shipyard", raw)
	}
	if got := s.StageNames(); !slices.Equal(got, []string{"dev", "staging", "production"}) {
		t.Errorf("stages = %v", got)
	}
	if a := s.Stages[1].ApprovalStrategy; a == nil || a.Pass != "automatic" || a.Warning != "manual" {
		t.Errorf("approval strategy of staging = %+v", a)
	}
	if s.Stages[2].RemediationStrategy != "automated" {
		t.Errorf("remediation strategy of production = %q", s.Stages[2].RemediationStrategy)
	}
}

func TestParseShipyardRejects(t *testing.T) {
	cases := []struct {
		name, shipyard, message string
	}{
		{"second document", "stages:\n  - name: dev\n---\nstages:\n  - name: prod\n",
			"invalid shipyard: it contains more than one YAML document (document 2 starts at line 3); put every stage in one document"},
		{"second document not a mapping", "stages:\n  - name: dev\n---\n- x\n",
			"invalid shipyard: it contains more than one YAML document (document 2 starts at line 3); put every stage in one document"},
		{"second document invalid", "stages:\n  - name: dev\n---\n[\n",
			"invalid shipyard: document 2: yaml: line 4: did not find expected node content"},
		{"null stage first", "stages:\n  - null\n  - name: dev\n", "invalid shipyard: stage 1 is null; give each stage at least a name"},
		{"null stage later", "stages: [{name: dev}, ~]\n", "invalid shipyard: stage 2 is null; give each stage at least a name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseShipyard(base64.StdEncoding.EncodeToString([]byte(c.shipyard)))
			var invalid *configsvc.InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("error = %v, want an InvalidError", err)
			}
			if err.Error() != c.message {
				t.Errorf("message = %q, want %q", err.Error(), c.message)
			}
		})
	}
}

func TestParseShipyardEmptyDocuments(t *testing.T) {
	for _, shipyard := range []string{
		"---\nstages:\n  - name: dev\n",
		"stages:\n  - name: dev\n---\n",
		"stages:\n  - name: dev\n--- # end\n",
		"stages:\n  - name: dev\n...\n",
	} {
		_, s, err := ParseShipyard(base64.StdEncoding.EncodeToString([]byte(shipyard)))
		if err != nil {
			t.Errorf("ParseShipyard(%q): %v", shipyard, err)
			continue
		}
		if got := s.StageNames(); !slices.Equal(got, []string{"dev"}) {
			t.Errorf("ParseShipyard(%q): stages = %v, want [dev]", shipyard, got)
		}
	}
}
