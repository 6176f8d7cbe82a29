// Package keptn holds the Keptn 0.7 rules that several collections share:
// event types, keptnContext ids, the signed eventContext token and the
// handling of the data member of events.
package keptn

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Event types with a meaning to this server. The mix of "sh.keptn.event." and
// "sh.keptn.events." prefixes is how Keptn 0.7 spells them.
const (
	TypeProjectDelete        = "sh.keptn.internal.event.project.delete"
	TypeEvaluationDone       = "sh.keptn.events.evaluation-done"
	TypeEvaluationInvalidate = "sh.keptn.events.evaluation.invalidated"
)

// DefaultSource is the source of events that the api collection emits, and of
// posted events whose source is not a URI reference.
const DefaultSource = "https://github.com/keptn/keptn/api"

// ResolveContext returns the keptnContext of a posted event. An empty value
// gets a new random UUID, a value the UUID parser accepts (with braces, a
// urn:uuid: prefix or no dashes) is kept as given, and any other value maps to
// a stable UUID: its first 16 bytes, padded with spaces, with the version 4 and
// RFC 4122 variant bits set. So "abc" always maps to
// 61626320-2020-4020-a020-202020202020.
func ResolveContext(value string) string {
	if value == "" {
		return NewContext()
	}
	if _, err := uuid.Parse(value); err == nil {
		return value
	}
	var id uuid.UUID
	copy(id[:], value+strings.Repeat(" ", 16))
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id.String()
}

// NewContext returns a new random keptnContext.
func NewContext() string {
	return uuid.NewString()
}

// NewEventID returns a new random event id.
func NewEventID() string {
	return uuid.NewString()
}

// InvalidatedType returns the type of the event that marks an event of the
// given type as invalid. For the 0.7 evaluation-done event that is
// sh.keptn.events.evaluation.invalidated; for any other type the last
// dot-separated segment is replaced by "invalidated", the rule of later Keptn
// versions (sh.keptn.event.evaluation.finished becomes
// sh.keptn.event.evaluation.invalidated).
func InvalidatedType(eventType string) string {
	if eventType == TypeEvaluationDone {
		return TypeEvaluationInvalidate
	}
	i := strings.LastIndexByte(eventType, '.')
	return eventType[:i+1] + "invalidated"
}

// GenerateToken returns a random API token of 32 bytes in hexadecimal.
func GenerateToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate API token: %w", err)
	}
	return fmt.Sprintf("%x", b), nil
}
