package configsvc

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// InvalidError reports a request value that breaks a rule of this package.
// Its message names the value and is safe to return to the client.
type InvalidError struct {
	Message string
}

func (e *InvalidError) Error() string { return e.Message }

// ConflictError reports a request that contradicts what is stored, such as
// a resource path that would be a file and a directory at once. Its message
// names the paths and is safe to return to the client.
type ConflictError struct {
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// Name length limits. The execution plane of Keptn 0.7 derives Kubernetes
// names from them: the namespace "<project>-<stage>" must fit the 63
// characters of a DNS label, and Helm release names built from services do
// too.
const (
	MaxProjectNameLength = 30
	MaxStageNameLength   = 32
	MaxServiceNameLength = 43
)

// namePattern is the rule of the Keptn CLI: a lowercase letter, then
// lowercase letters, digits and hyphens, not ending in a hyphen.
var namePattern = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// ValidateName checks a project, stage or service name; kind is "project",
// "stage" or "service".
func ValidateName(kind, name string) error {
	limit := map[string]int{"project": MaxProjectNameLength, "stage": MaxStageNameLength, "service": MaxServiceNameLength}[kind]
	if !namePattern.MatchString(name) {
		return invalid("invalid %s name %q: use lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", kind, name)
	}
	if len(name) > limit {
		return invalid("invalid %s name %q: it has %d characters, the maximum is %d", kind, name, len(name), limit)
	}
	return nil
}

// Length limits of a resourceURI, in bytes after the leading "/" is removed.
// They are Linux's NAME_MAX and PATH_MAX: a segment longer than 255 bytes
// cannot be a file name on common Linux file systems, so a git checkout of
// the repository would fail.
const (
	MaxResourceSegmentBytes = 255
	MaxResourceURIBytes     = 4096
)

// quoteLimit is how much of an over-long resourceURI a message quotes.
const quoteLimit = 64

// quoteURI quotes uri for a message, cut to quoteLimit bytes.
func quoteURI(uri string) string {
	if len(uri) <= quoteLimit {
		return strconv.Quote(uri)
	}
	return strconv.Quote(strings.ToValidUTF8(uri[:quoteLimit], "")) + "…"
}

// CleanResourceURI checks a resourceURI and returns it relative to its level's
// directory. One leading "/" is accepted and removed, because resource
// listings return URIs with it and Keptn clients send them back unchanged.
// Anything that could leave the level's directory or reach git internals is
// rejected: an empty path or segment, "." or "..", a ".git" segment, a
// backslash, a NUL or other control byte, and a second leading "/". So is a
// path longer than MaxResourceURIBytes or with a segment longer than
// MaxResourceSegmentBytes.
func CleanResourceURI(uri string) (string, error) {
	path := strings.TrimPrefix(uri, "/")
	if path == "" {
		return "", invalid("invalid resourceURI %q: it is empty", uri)
	}
	if len(path) > MaxResourceURIBytes {
		return "", invalid("invalid resourceURI %s: it has %d bytes, the maximum is %d", quoteURI(uri), len(path), MaxResourceURIBytes)
	}
	for _, c := range path {
		if c < 0x20 || c == 0x7f {
			return "", invalid("invalid resourceURI %q: it contains a control character", uri)
		}
		if c == '\\' {
			return "", invalid("invalid resourceURI %q: it contains a backslash", uri)
		}
	}
	for _, segment := range strings.Split(path, "/") {
		switch {
		case segment == "":
			return "", invalid("invalid resourceURI %q: it is absolute or has an empty segment", uri)
		case segment == "." || segment == "..":
			return "", invalid("invalid resourceURI %q: it contains a %q segment", uri, segment)
		case strings.EqualFold(segment, ".git"):
			return "", invalid("invalid resourceURI %q: it contains a .git segment", uri)
		case len(segment) > MaxResourceSegmentBytes:
			return "", invalid("invalid resourceURI %s: its segment %s has %d bytes, the maximum is %d", quoteURI(uri), quoteURI(segment), len(segment), MaxResourceSegmentBytes)
		}
	}
	return path, nil
}

// DecodeContent decodes the standard base64 (with padding) content of a
// resource.
func DecodeContent(uri, content string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		// The content itself is not quoted: resources can hold secrets.
		return nil, invalid("invalid resourceContent of %q: it is not standard base64 with \"=\" padding (RFC 4648)", uri)
	}
	return raw, nil
}
