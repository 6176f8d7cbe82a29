package workflow

import (
	"encoding/base64"
	"slices"
	"testing"
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
