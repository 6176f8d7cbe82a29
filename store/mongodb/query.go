package mongodb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/keptn-api/keptn-api/store"
)

// attributeFields are the top-level Condition fields, stored under the same
// names.
var attributeFields = map[string]bool{
	"id": true, "type": true, "source": true, "shkeptncontext": true,
	"triggeredid": true, "specversion": true, "contenttype": true,
}

// QueryEvents returns the events selected by q (see store.Events). The
// page and the total are read by two commands, which may see different
// states when writes run in between.
func (s *Store) QueryEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	const op = "query events"
	release, err := s.acquire(op)
	if err != nil {
		return store.EventPage{}, err
	}
	defer release()

	filter, err := s.conditions(q)
	if err != nil {
		return store.EventPage{}, err
	}
	empty := store.EventPage{Events: []store.Event{}}

	project, ok, err := s.scopeProject(ctx, q)
	if err != nil {
		return store.EventPage{}, s.translate(op, err)
	}
	if !ok || (q.Root && project == "") {
		return empty, nil
	}
	collection := eventsCollection(project)
	if q.Root {
		collection = project + rootSuffix
	}

	if q.KeptnContext != "" {
		filter = append(filter, bson.D{{Key: "shkeptncontext", Value: q.KeptnContext}})
	}
	if !q.After.IsZero() {
		key := timeKeyOf(q.After)
		if key == math.MaxInt64 {
			return empty, nil
		}
		if key != math.MinInt64 {
			filter = append(filter, bson.D{{Key: timeKey, Value: bson.D{{Key: "$gt", Value: key}}}})
		}
	}
	if q.ExcludeInvalidatedBy != "" {
		ids, err := s.invalidatedIDs(ctx, project, q.ExcludeInvalidatedBy)
		if err != nil {
			return store.EventPage{}, s.translate(op, err)
		}
		if len(ids) > 0 {
			filter = append(filter, bson.D{{Key: "id", Value: bson.D{{Key: "$nin", Value: ids}}}})
		}
	}

	where := bson.D{}
	if len(filter) > 0 {
		where = bson.D{{Key: "$and", Value: filter}}
	}
	c := s.db.Collection(collection)
	find := options.Find().SetSort(eventSort).SetSkip(int64(q.Offset))
	if q.Limit > 0 {
		find.SetLimit(int64(q.Limit))
	}
	cur, err := c.Find(ctx, where, find)
	if err != nil {
		return store.EventPage{}, s.translate(op, err)
	}
	defer cur.Close(ctx)
	page := empty
	for cur.Next(ctx) {
		ev, err := s.decodeEvent(cur.Current, project)
		if err != nil {
			return store.EventPage{}, fmt.Errorf("mongodb: %s: %w", op, err)
		}
		page.Events = append(page.Events, ev)
	}
	if err := cur.Err(); err != nil {
		return store.EventPage{}, s.translate(op, err)
	}
	if q.CountTotal {
		n, err := c.CountDocuments(ctx, where)
		if err != nil {
			return store.EventPage{}, s.translate(op, err)
		}
		page.Total = int(n)
	}
	return page, nil
}

// scopeProject returns the project whose collections q reads, "" for the
// unmapped events, and false when q can match nothing.
func (s *Store) scopeProject(ctx context.Context, q store.EventQuery) (string, bool, error) {
	switch {
	case q.Project != "":
		return q.Project, checkProject(q.Project) == nil, nil
	case q.KeptnContext != "":
		raw, err := s.db.Collection(contextsCollection).
			FindOne(ctx, bson.D{{Key: "_id", Value: q.KeptnContext}}).Raw()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		project := str(raw, "projectName")
		return project, project != "" && checkProject(project) == nil, nil
	}
	return "", true, nil
}

// conditions checks q and returns the clauses of its Conditions. It runs
// before any database access, so that an invalid query fails whatever its
// scope holds.
func (s *Store) conditions(q store.EventQuery) ([]any, error) {
	if q.Offset < 0 {
		return nil, invalidQuery("negative offset %d", q.Offset)
	}
	if q.Limit < 0 {
		return nil, invalidQuery("negative limit %d", q.Limit)
	}
	var clauses []any
	for _, c := range q.Conditions {
		clause, err := s.condition(c)
		if err != nil {
			return nil, err
		}
		clauses = append(clauses, clause)
	}
	return clauses, nil
}

func (s *Store) condition(c store.Condition) (bson.D, error) {
	values := bson.A{}
	for _, v := range c.Values {
		values = append(values, v)
	}
	if attributeFields[c.Field] {
		// Keptn 0.7 left out empty attributes, and so does encodeEvent:
		// an absent one equals "". null matches a missing field.
		for _, v := range c.Values {
			if v == "" {
				values = append(values, nil)
				break
			}
		}
		return bson.D{{Key: c.Field, Value: bson.D{{Key: "$in", Value: values}}}}, nil
	}
	path, err := s.dataPath(c.Field)
	if err != nil {
		return nil, err
	}
	// Only strings match. MongoDB compares the elements of an array with
	// the values too, so arrays are excluded.
	//
	// NOTE: MongoDB also looks into arrays on the way: with data
	// {"a":[{"b":"x"}]}, "data.a.b" matches "x", and "data.a.0" names the
	// first element. The SQLite backend reads both as object keys.
	return bson.D{{Key: path, Value: bson.D{
		{Key: "$in", Value: values},
		{Key: "$not", Value: bson.D{{Key: "$type", Value: "array"}}},
	}}}, nil
}

// dataPath checks a "data" or "data.x.y" field and returns it with its keys
// escaped as they are stored. It rejects what the SQLite backend rejects,
// and a key with a leading '$' where the server stores keys as they are,
// because MongoDB reads such a path segment as an operator.
func (s *Store) dataPath(field string) (string, error) {
	if field == "data" {
		return field, nil
	}
	if !strings.HasPrefix(field, "data.") {
		return "", invalidQuery("unknown condition field %q: expected one of id, type, source, shkeptncontext, triggeredid, specversion, contenttype, or a path starting with \"data.\"", field)
	}
	esc := escaper(s.escapeKeys)
	keys := strings.Split(strings.TrimPrefix(field, "data."), ".")
	for i, key := range keys {
		switch {
		case key == "":
			return "", invalidQuery("condition field %q has an empty path segment", field)
		case strings.ContainsFunc(key, isUnsafePathRune):
			return "", invalidQuery("condition field %q has a path segment with a quote, backslash or control character", field)
		case strings.HasPrefix(key, "$") && !s.escapeKeys:
			return "", invalidQuery("condition field %q has a path segment that starts with '$'", field)
		}
		keys[i] = esc.key(key)
	}
	return "data." + strings.Join(keys, "."), nil
}

func isUnsafePathRune(r rune) bool {
	return r == '"' || r == '\\' || r < 0x20 || r == 0x7f
}

// invalidatedIDs returns the ids that events of type invalidatedBy in the
// project point at with their triggeredid. Keptn 0.7.3 copies the events
// whose type ends in ".invalidated" into "<project>-invalidatedEvents";
// other types are looked up among all the project's events.
func (s *Store) invalidatedIDs(ctx context.Context, project, invalidatedBy string) ([]string, error) {
	collection := eventsCollection(project)
	if project != "" && strings.HasSuffix(invalidatedBy, invalidatedType) {
		collection = project + invalidatedSuffix
	}
	res := s.db.Collection(collection).Distinct(ctx, "triggeredid", bson.D{{Key: "type", Value: invalidatedBy}})
	var values []any
	if err := res.Decode(&values); err != nil {
		return nil, fmt.Errorf("read invalidated events: %w", err)
	}
	var ids []string
	for _, v := range values {
		if id, ok := v.(string); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// invalidQuery returns an error wrapping store.ErrInvalidQuery.
func invalidQuery(format string, args ...any) error {
	return fmt.Errorf("mongodb: query events: %w: %s", store.ErrInvalidQuery, fmt.Sprintf(format, args...))
}
