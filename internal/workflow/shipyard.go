package workflow

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keptn-api/keptn-api/internal/configsvc"
)

// Shipyard is a Keptn 0.7 shipyard: the stages of a project in delivery
// order.
type Shipyard struct {
	Stages []ShipyardStage `yaml:"stages"`
}

// ShipyardStage is one stage of a shipyard. Every strategy is optional.
type ShipyardStage struct {
	Name                string            `yaml:"name"`
	DeploymentStrategy  string            `yaml:"deployment_strategy"`
	TestStrategy        string            `yaml:"test_strategy"`
	ApprovalStrategy    *ApprovalStrategy `yaml:"approval_strategy"`
	RemediationStrategy string            `yaml:"remediation_strategy"`
}

// ApprovalStrategy is the kind of approval, automatic or manual, that a
// promotion into the stage needs for each evaluation result.
type ApprovalStrategy struct {
	Pass    string `yaml:"pass"`
	Warning string `yaml:"warning"`
}

// Strategy values that Keptn 0.7 services act on.
var (
	deploymentStrategies  = []string{"direct", "blue_green_service", "user_managed"}
	testStrategies        = []string{"functional", "performance"}
	approvalStrategies    = []string{"automatic", "manual"}
	remediationStrategies = []string{"automated"}
)

// ParseShipyard decodes a base64 shipyard and checks it: one YAML document
// with only the fields above, at least one stage and no null stage, valid and
// unique stage names and known strategy values. It returns the YAML and the shipyard, or an
// InvalidError that names the problem.
func ParseShipyard(encoded string) ([]byte, Shipyard, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, Shipyard{}, invalid("invalid shipyard: it is not standard base64 with \"=\" padding (RFC 4648): %v", err)
	}

	// The stages decode as pointers because yaml.v3 drops a null element of
	// a slice of structs, which would hide a "- null" stage.
	var decoded struct {
		Stages []*ShipyardStage `yaml:"stages"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&decoded); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Shipyard{}, invalid("invalid shipyard: it is empty")
		}
		return nil, Shipyard{}, invalid("invalid shipyard: %s", yamlErrorText(err))
	}
	if err := checkSingleDocument(dec); err != nil {
		return nil, Shipyard{}, err
	}

	var s Shipyard
	for i, st := range decoded.Stages {
		if st == nil {
			return nil, Shipyard{}, invalid("invalid shipyard: stage %d is null; give each stage at least a name", i+1)
		}
		s.Stages = append(s.Stages, *st)
	}
	if err := s.validate(); err != nil {
		return nil, Shipyard{}, err
	}
	return raw, s, nil
}

// checkSingleDocument checks that the rest of a YAML stream holds no further
// document with content. An empty document, such as the one a trailing
// "---" starts, is allowed because it cannot carry stages.
func checkSingleDocument(dec *yaml.Decoder) error {
	for n := 2; ; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return invalid("invalid shipyard: document %d: %s", n, yamlErrorText(err))
		}
		if len(doc.Content) != 1 || doc.Content[0].Tag != "!!null" {
			return invalid("invalid shipyard: it contains more than one YAML document (document %d starts at line %d); put every stage in one document", n, doc.Line)
		}
	}
}

// typeSuffix is the Go type that yaml.v3 names in an unknown-field error.
var typeSuffix = regexp.MustCompile(` in type [A-Za-z0-9_.]+$`)

// yamlErrorText returns the text of a YAML error without the Go types of this
// package, which mean nothing to a client.
func yamlErrorText(err error) string {
	var typeErr *yaml.TypeError
	if !errors.As(err, &typeErr) {
		return err.Error()
	}
	lines := make([]string, len(typeErr.Errors))
	for i, line := range typeErr.Errors {
		lines[i] = typeSuffix.ReplaceAllString(line, "")
	}
	return strings.Join(lines, "; ")
}

func (s Shipyard) validate() error {
	if len(s.Stages) == 0 {
		return invalid("invalid shipyard: it has no stages; list at least one under \"stages\"")
	}
	seen := map[string]bool{}
	for i, st := range s.Stages {
		if err := configsvc.ValidateName("stage", st.Name); err != nil {
			return invalid("invalid shipyard: stage %d: %v", i+1, err)
		}
		if seen[st.Name] {
			return invalid("invalid shipyard: stage name %q appears twice", st.Name)
		}
		seen[st.Name] = true

		checks := []struct{ field, value string }{
			{"deployment_strategy", st.DeploymentStrategy},
			{"test_strategy", st.TestStrategy},
			{"remediation_strategy", st.RemediationStrategy},
		}
		if st.ApprovalStrategy != nil {
			checks = append(checks,
				struct{ field, value string }{"approval_strategy.pass", st.ApprovalStrategy.Pass},
				struct{ field, value string }{"approval_strategy.warning", st.ApprovalStrategy.Warning})
		}
		for _, c := range checks {
			if err := checkStrategy(st.Name, c.field, c.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStrategy accepts an empty value or a known one.
func checkStrategy(stage, field, value string) error {
	known := map[string][]string{
		"deployment_strategy":       deploymentStrategies,
		"test_strategy":             testStrategies,
		"remediation_strategy":      remediationStrategies,
		"approval_strategy.pass":    approvalStrategies,
		"approval_strategy.warning": approvalStrategies,
	}[field]
	if value == "" || slices.Contains(known, value) {
		return nil
	}
	return invalid("invalid shipyard: stage %q has %s %q; use one of %s", stage, field, value, strings.Join(known, ", "))
}

// StageNames returns the stage names in shipyard order.
func (s Shipyard) StageNames() []string {
	names := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		names[i] = st.Name
	}
	return names
}

func invalid(format string, args ...any) error {
	return &configsvc.InvalidError{Message: fmt.Sprintf(format, args...)}
}
