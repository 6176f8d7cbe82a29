package keptn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// EventContext is the eventContext of the api collection: the keptnContext of
// a run and the token that opens its log websocket.
type EventContext struct {
	KeptnContext string `json:"keptnContext"`
	Token        string `json:"token"`
}

// eventContextKey is the member that the api collection adds to the data of
// the events it emits and that the datastore returns as null.
const eventContextKey = "eventContext"

// JSONKind names the kind of a JSON value for error messages: "object",
// "array", "string", "number", "boolean", "null" or "empty".
func JSONKind(raw json.RawMessage) string {
	i := skipSpace(raw, 0)
	if i >= len(raw) {
		return "empty"
	}
	switch raw[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// DataScope returns the string values of data.project, data.stage and
// data.service; a member that is missing or not a string gives "".
func DataScope(data json.RawMessage) (project, stage, service string) {
	if JSONKind(data) != "object" {
		return "", "", ""
	}
	var scope struct {
		Project, Stage, Service json.RawMessage
	}
	// Members of other types than string are ignored below, so an error
	// here only means malformed data, which yields an empty scope.
	if err := json.Unmarshal(data, &scope); err != nil {
		return "", "", ""
	}
	return jsonString(scope.Project), jsonString(scope.Stage), jsonString(scope.Service)
}

func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// WithEventContext returns a copy of the data object whose top-level
// eventContext member is ec; other members keep their order and bytes.
func WithEventContext(data json.RawMessage, ec EventContext) (json.RawMessage, error) {
	if JSONKind(data) != "object" {
		return nil, fmt.Errorf("data is a JSON %s, not an object", JSONKind(data))
	}
	value, err := json.Marshal(ec)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.Grow(len(data) + len(value) + 20)
	out.WriteByte('{')
	err = eachMember(data, func(key, member []byte) {
		if keyEquals(key, eventContextKey) {
			return
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		out.Write(member)
	})
	if err != nil {
		return nil, err
	}
	if out.Len() > 1 {
		out.WriteByte(',')
	}
	out.WriteString(`"` + eventContextKey + `":`)
	out.Write(value)
	out.WriteByte('}')
	return out.Bytes(), nil
}

// ScrubEventContext returns data with the value of every member named
// eventContext, at any depth, replaced by null, as the Keptn datastore
// returns stored events. Data without such a member is returned as is, and so
// is data that is not valid JSON.
func ScrubEventContext(data json.RawMessage) json.RawMessage {
	// A key can spell a letter as a \u escape, so only data without either
	// can skip the scan.
	if !bytes.Contains(data, []byte(eventContextKey)) && !bytes.Contains(data, []byte(`\u`)) {
		return data
	}
	var out []byte
	last := 0
	for i := 0; i < len(data); {
		if data[i] != '"' {
			i++
			continue
		}
		end, err := skipString(data, i)
		if err != nil {
			return data
		}
		colon := skipSpace(data, end)
		if colon < len(data) && data[colon] == ':' && keyEquals(data[i:end], eventContextKey) {
			start := skipSpace(data, colon+1)
			valueEnd, err := skipValue(data, start)
			if err != nil {
				return data
			}
			out = append(out, data[last:start]...)
			out = append(out, "null"...)
			last = valueEnd
			i = valueEnd
			continue
		}
		i = end
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// keyEquals reports whether the quoted JSON string key decodes to name.
func keyEquals(key []byte, name string) bool {
	if len(key) == len(name)+2 && string(key[1:len(key)-1]) == name {
		return true
	}
	if !bytes.ContainsRune(key, '\\') {
		return false
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == name
}

// eachMember calls fn for each member of a JSON object with the quoted key
// and the whole member text (key, colon and value).
func eachMember(obj []byte, fn func(key, member []byte)) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errMalformed
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		start := i
		keyEnd, err := skipString(obj, i)
		if err != nil {
			return err
		}
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return errMalformed
		}
		valueEnd, err := skipValue(obj, skipSpace(obj, i+1))
		if err != nil {
			return err
		}
		fn(obj[start:keyEnd], obj[start:valueEnd])
		i = skipSpace(obj, valueEnd)
		if i >= len(obj) {
			return errMalformed
		}
		if obj[i] == '}' {
			return nil
		}
		if obj[i] != ',' {
			return errMalformed
		}
		i = skipSpace(obj, i+1)
	}
	return errMalformed
}

var errMalformed = errors.New("malformed JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errMalformed
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errMalformed
}

// skipValue returns the index after the JSON value that starts at b[i]. It
// trusts the input to be valid JSON and only tracks strings and nesting.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformed
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errMalformed
	default:
		j := i
		for j < len(b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(b[j])) {
			j++
		}
		if j == i {
			return 0, errMalformed
		}
		return j, nil
	}
}
