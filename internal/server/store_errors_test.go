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
