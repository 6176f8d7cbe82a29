package mongodb

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/keptn-api/keptn-api/store"
)

// Collection names of the Keptn 0.7 layout, and the one keptn-api adds.
const (
	contextsCollection = "contextToProject"
	unmappedCollection = "keptnUnmappedEvents"
	viewCollection     = "keptnProjectsMV"
	// idsCollection maps each stored event id to its project, and holds
	// the document of an insert until every collection has it.
	idsCollection = "keptnApiEventIDs"

	rootSuffix        = "-rootEvents"
	invalidatedSuffix = "-invalidatedEvents"
)

// maxProjectName keeps "<project>-invalidatedEvents" within the 235 bytes
// that MongoDB and FerretDB allow for a collection name, with room for the
// database name in the namespace.
const maxProjectName = 200

// checkProject returns store.ErrInvalidName for a project name that cannot
// name its collections: one that collides with another collection of the
// layout or breaks the collection name rules.
func checkProject(name string) error {
	reason := ""
	switch {
	case name == contextsCollection || name == unmappedCollection || name == viewCollection || name == idsCollection:
		reason = "is the name of a collection of the database"
	case strings.HasSuffix(name, rootSuffix) || strings.HasSuffix(name, invalidatedSuffix):
		reason = "ends like the name of a collection of root or invalidated events"
	case len(name) > maxProjectName:
		reason = fmt.Sprintf("is longer than %d bytes", maxProjectName)
	case !utf8.ValidString(name):
		reason = "is not valid UTF-8"
	case strings.ContainsAny(name, "$\x00"):
		reason = "contains '$' or a NUL character"
	// FerretDB keeps its own metadata in collections named _ferretdb_*.
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "system.") || strings.HasPrefix(name, "_ferretdb_"):
		reason = `starts with ".", "system." or "_ferretdb_"`
	}
	if reason == "" {
		return nil
	}
	return fmt.Errorf("%w: project name %q %s", store.ErrInvalidName, name, reason)
}

// eventsCollection names the collection of the events of project, or of
// the unmapped events when project is "".
func eventsCollection(project string) string {
	if project == "" {
		return unmappedCollection
	}
	return project
}

// isEventsCollection reports whether name is the events collection of a
// project.
func isEventsCollection(name string) bool {
	return name != "" && checkProject(name) == nil
}

// listProjects returns the projects that have an events collection.
func (s *Store) listProjects(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	var projects []string
	for _, name := range names {
		if isEventsCollection(name) {
			projects = append(projects, name)
		}
	}
	return projects, nil
}

// escaper turns document keys into keys the server accepts and back. It is
// the identity unless the server rejects '.' and a leading '$' in keys, as
// FerretDB v1 does. Then '%', '.' and a leading '$' are written as %25, %2E
// and %24.
type escaper bool

var unescapeKeys = strings.NewReplacer("%2E", ".", "%24", "$", "%25", "%")

func (e escaper) key(k string) string {
	if !bool(e) || !strings.ContainsAny(k, "%.$") {
		return k
	}
	k = strings.ReplaceAll(k, "%", "%25")
	k = strings.ReplaceAll(k, ".", "%2E")
	if strings.HasPrefix(k, "$") {
		k = "%24" + k[1:]
	}
	return k
}

func (e escaper) unkey(k string) string {
	if !bool(e) || !strings.Contains(k, "%") {
		return k
	}
	return unescapeKeys.Replace(k)
}
