package mongodb

import (
	"context"
	"fmt"
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// keys builds an index key document from field names; a leading '-' makes
// the field descending.
func keys(fields ...string) bson.D {
	d := bson.D{}
	for _, f := range fields {
		if f[0] == '-' {
			d = append(d, bson.E{Key: f[1:], Value: -1})
		} else {
			d = append(d, bson.E{Key: f, Value: 1})
		}
	}
	return d
}

// eventIndexes serve the queries of an events collection: the scope and
// each filter the datastore offers, in the order of eventSort, and the
// invalidation lookup. Keptn 0.7 allowed duplicate ids, so id is not
// unique here; keptnApiEventIDs keeps new ids unique.
var eventIndexes = []mongo.IndexModel{
	{Keys: keys("-"+timeKey, "-"+seqKey)},
	{Keys: keys("shkeptncontext", "-"+timeKey, "-"+seqKey)},
	{Keys: keys("type", "-"+timeKey, "-"+seqKey)},
	{Keys: keys("source", "-"+timeKey, "-"+seqKey)},
	{Keys: keys("data.stage", "-"+timeKey, "-"+seqKey)},
	{Keys: keys("data.service", "-"+timeKey, "-"+seqKey)},
	{Keys: keys("id")},
	{Keys: keys("triggeredid", "type")},
}

func (s *Store) createFixedIndexes(ctx context.Context) error {
	fixed := []struct {
		collection string
		models     []mongo.IndexModel
	}{
		{unmappedCollection, eventIndexes},
		{contextsCollection, []mongo.IndexModel{{Keys: keys("projectName")}}},
		{idsCollection, []mongo.IndexModel{{Keys: keys("project")}, {Keys: keys("pending")}}},
		{viewCollection, []mongo.IndexModel{{Keys: keys("projectName"), Options: options.Index().SetUnique(true)}}},
	}
	for _, f := range fixed {
		if err := createIndexes(ctx, s.db.Collection(f.collection), f.models); err != nil {
			return err
		}
	}
	return nil
}

// createIndexes creates the indexes of a collection that it lacks. It sends
// one index per command: FerretDB v1.24 drops the connection when a command
// lists several indexes that all exist already.
func createIndexes(ctx context.Context, c *mongo.Collection, models []mongo.IndexModel) error {
	for _, m := range models {
		if _, err := c.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create indexes of %s: %w", c.Name(), err)
		}
	}
	return nil
}

// createProjectIndexes creates the indexes of a project's collections.
func (s *Store) createProjectIndexes(ctx context.Context, project string) error {
	sets := []struct {
		collection string
		models     []mongo.IndexModel
	}{
		{project, eventIndexes},
		{project + rootSuffix, []mongo.IndexModel{
			{Keys: keys("-"+timeKey, "-"+seqKey)},
			{Keys: keys("shkeptncontext", "-"+timeKey)},
		}},
		{project + invalidatedSuffix, []mongo.IndexModel{{Keys: keys("triggeredid", "type")}}},
	}
	for _, set := range sets {
		if err := createIndexes(ctx, s.db.Collection(set.collection), set.models); err != nil {
			return err
		}
	}
	s.indexed.Store(project, true)
	return nil
}

// indexProject creates the indexes of a project the first time this
// process stores an event of it. Creations run one at a time: FerretDB v1
// drops the connections of concurrent creations of one collection.
func (s *Store) indexProject(ctx context.Context, project string) error {
	if _, ok := s.indexed.Load(project); ok {
		return nil
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if _, ok := s.indexed.Load(project); ok {
		return nil
	}
	return s.createProjectIndexes(ctx, project)
}

// migrateLegacy adds the keptnApi fields to the event documents that Keptn
// 0.7 wrote, in every events, root and invalidated collection, and claims
// their ids. The time key comes from the "time" text and the insertion
// order from the ObjectID _id that the 0.7 driver gave each document. Keptn
// 0.7 ignores the added fields.
func (s *Store) migrateLegacy(ctx context.Context, projects []string) error {
	collections := []struct{ name, project string }{{unmappedCollection, ""}}
	for _, p := range projects {
		collections = append(collections,
			struct{ name, project string }{p, p},
			struct{ name, project string }{p + rootSuffix, ""},
			struct{ name, project string }{p + invalidatedSuffix, ""})
	}
	for _, c := range collections {
		n, err := s.migrateCollection(ctx, c.name, c.project, c.name == eventsCollection(c.project))
		if err != nil {
			return fmt.Errorf("migrate the Keptn 0.7 documents of %s: %w", c.name, err)
		}
		if n > 0 {
			s.log.Info("migrated Keptn 0.7 event documents", "collection", c.name, "documents", n)
		}
	}
	return nil
}

func (s *Store) migrateCollection(ctx context.Context, name, project string, claim bool) (int, error) {
	c := s.db.Collection(name)
	cur, err := c.Find(ctx, bson.D{{Key: apiField, Value: bson.D{{Key: "$exists", Value: false}}}})
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		raw := cur.Current
		id := raw.Lookup("_id")
		seq, ok := id.ObjectIDOK()
		if !ok {
			seq = bson.NewObjectID()
		}
		key := timeKeyOf(eventTime(raw.Lookup("time")))
		if raw.Lookup("time").Type == 0 {
			key = math.MinInt64
		}
		if claim {
			eventID := str(raw, "id")
			err := insertIgnoringDuplicate(ctx, s.db.Collection(idsCollection), bson.D{
				{Key: "_id", Value: eventID},
				{Key: "project", Value: project},
			})
			if err != nil {
				return n, err
			}
		}
		_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: apiField, Value: bson.D{{Key: "time", Value: key}, {Key: "seq", Value: seq}}},
		}}})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, cur.Err()
}

// completePending completes the inserts that were interrupted after they
// claimed their id.
func (s *Store) completePending(ctx context.Context) error {
	cur, err := s.db.Collection(idsCollection).Find(ctx, bson.D{{Key: "pending", Value: true}})
	if err != nil {
		return fmt.Errorf("find pending inserts: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if err := s.completeRaw(ctx, cur.Current); err != nil {
			return fmt.Errorf("complete the pending insert of %q: %w", str(cur.Current, "_id"), err)
		}
	}
	return cur.Err()
}
