package server_test

import (
	"net/http"
	"testing"
)

// TestStoreErrorTexts checks that a 4xx caused by the store carries the same
// text on every backend, without the package prefixes of the log.
func TestStoreErrorTexts(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	reportBackend(t)
	r := s.send(t, http.MethodGet, "/api/mongodb-datastore/event/type/t?filter=data.project:p1%20AND%20data..x:1", "")
	checkError(t, r, http.StatusBadRequest, http.StatusBadRequest,
		`query events: invalid query: condition field "data..x" has an empty path segment`)
}

// TestMongoReservedProjectNames checks that project names the MongoDB
// backend cannot use for collections get a 400 naming the project.
func TestMongoReservedProjectNames(t *testing.T) {
	if backend.mongoURL == "" {
		t.Skip("SQLite accepts these names")
	}
	t.Parallel()
	s := sharedServer(t)
	reportBackend(t)
	for _, c := range []struct{ project, reason string }{
		{"system.x", `starts with ".", "system." or "_ferretdb_"`},
		{"_ferretdb_x", `starts with ".", "system." or "_ferretdb_"`},
		{"a$b", `contains '$' or a NUL character`},
	} {
		body := `{"type":"sh.keptn.event.tests.triggered","source":"t","specversion":"0.2","id":"reserved-` + c.project +
			`","shkeptncontext":"ctx-reserved","data":{"project":"` + c.project + `"}}`
		r := s.send(t, http.MethodPost, datastoreEvents, body)
		checkError(t, r, http.StatusBadRequest, http.StatusBadRequest,
			`store event "reserved-`+c.project+`": insert event "reserved-`+c.project+`": invalid name: project name "`+c.project+`" `+c.reason)
	}
}
