package sqlite

import (
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

// attributeColumns maps the top-level Condition fields to events columns.
var attributeColumns = map[string]string{
	"id":             "id",
	"type":           "type",
	"source":         "source",
	"shkeptncontext": "keptncontext",
	"triggeredid":    "triggeredid",
	"specversion":    "specversion",
	"contenttype":    "contenttype",
}

// dataColumns maps the data paths that the caller copies into indexed
// columns. A column holds "" when the data value is absent or not a string,
// so a condition on "" cannot use the column and reads the JSON instead.
var dataColumns = map[string]string{
	"data.project": "project",
	"data.stage":   "stage",
	"data.service": "service",
}

// conditionSQL returns a boolean SQL expression over the events row e for
// c, and the arguments of its placeholders. Every value and the JSON path
// are bound as arguments; only column names from the maps above enter the
// SQL text.
func conditionSQL(c store.Condition) (string, []any, error) {
	if column, ok := attributeColumns[c.Field]; ok {
		if len(c.Values) == 0 {
			return "0", nil, nil
		}
		return "e." + column + " IN (" + placeholders(len(c.Values)) + ")", stringArgs(c.Values), nil
	}

	if c.Field != "data" && !strings.HasPrefix(c.Field, "data.") {
		return "", nil, invalidQuery("unknown condition field %q: expected one of id, type, source, shkeptncontext, triggeredid, specversion, contenttype, or a path starting with \"data.\"", c.Field)
	}
	path, err := jsonPath(c.Field)
	if err != nil {
		return "", nil, err
	}
	if len(c.Values) == 0 {
		return "0", nil, nil
	}

	column, ok := dataColumns[c.Field]
	if !ok {
		expr, args := jsonStringIn(path, c.Values)
		return expr, args, nil
	}

	var indexed []string
	matchEmpty := false
	for _, v := range c.Values {
		if v == "" {
			matchEmpty = true
		} else {
			indexed = append(indexed, v)
		}
	}
	var parts []string
	var args []any
	if len(indexed) > 0 {
		parts = append(parts, "e."+column+" IN ("+placeholders(len(indexed))+")")
		args = append(args, stringArgs(indexed)...)
	}
	if matchEmpty {
		expr, emptyArgs := jsonStringIn(path, []string{""})
		parts = append(parts, expr)
		args = append(args, emptyArgs...)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, nil
}

// jsonStringIn matches rows whose data holds a JSON string at path equal to
// one of values. json_extract returns a JSON number as an SQL number, but an
// object or array as its JSON text, so json_type must be checked as well for
// the comparison to see strings only. The CASE skips rows whose data SQLite
// cannot parse, where the JSON functions would fail the whole statement.
func jsonStringIn(path string, values []string) (string, []any) {
	expr := "(CASE WHEN e.data_valid THEN json_type(e.data, ?) = 'text' AND json_extract(e.data, ?) IN (" +
		placeholders(len(values)) + ") END)"
	args := append([]any{path, path}, stringArgs(values)...)
	return expr, args
}

// jsonPath turns a field such as "data.evaluationdetails.result" into the
// SQLite JSON path $."evaluationdetails"."result". Each key is quoted, so
// characters such as '$', '[' or '*' stay part of the key. SQLite ends a
// quoted key at the next '"' and has no escape for it, so keys with '"' are
// rejected, and with them '\' and control characters.
//
// NOTE: a numeric segment such as "data.items.0" names an object key here.
// It does not index into an array, as MongoDB's dot notation would.
func jsonPath(field string) (string, error) {
	if field == "data" {
		return "$", nil
	}
	var b strings.Builder
	b.WriteString("$")
	for _, key := range strings.Split(strings.TrimPrefix(field, "data."), ".") {
		if key == "" {
			return "", invalidQuery("condition field %q has an empty path segment", field)
		}
		if strings.ContainsFunc(key, isUnsafePathRune) {
			return "", invalidQuery("condition field %q has a path segment with a quote, backslash or control character", field)
		}
		b.WriteString(`."`)
		b.WriteString(key)
		b.WriteString(`"`)
	}
	return b.String(), nil
}

func isUnsafePathRune(r rune) bool {
	return r == '"' || r == '\\' || r < 0x20 || r == 0x7f
}

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func stringArgs(values []string) []any {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return args
}
