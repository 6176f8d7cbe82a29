package mongodb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/keptn-api/keptn-api/store"
)

// Fields of the "keptnApi" subdocument of an event document:
//   - time: the event time in nanoseconds since 1970 UTC, the key of
//     ordering and of EventQuery.After;
//   - seq: an ObjectID taken at insertion, which orders events of equal
//     time by insertion;
//   - data, extensions: the JSON text as received, a string when it is
//     valid UTF-8 and binary otherwise, so reads return it byte for byte.
const (
	apiField        = "keptnApi"
	timeKey         = apiField + ".time"
	seqKey          = apiField + ".seq"
	invalidatedType = ".invalidated"
)

// eventSort lists events newest first, and events of equal time in reverse
// insertion order.
var eventSort = bson.D{{Key: timeKey, Value: -1}, {Key: seqKey, Value: -1}}

// timeKeyOf returns the ordering key of t. Times outside the int64
// nanosecond range, such as the year-1 time Keptn 0.7 stored for events
// without a time, are clamped to its ends.
func timeKeyOf(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// encodeEvent builds the document of ev. Its _id is the event id, so that
// inserting it twice into one collection fails.
func (s *Store) encodeEvent(ev store.Event) (bson.D, error) {
	esc := escaper(s.escapeKeys)
	doc := bson.D{
		{Key: "_id", Value: ev.ID},
		{Key: "id", Value: ev.ID},
		{Key: "type", Value: ev.Type},
		{Key: "source", Value: ev.Source},
		{Key: "specversion", Value: ev.SpecVersion},
		{Key: "time", Value: ev.Time.Format(time.RFC3339Nano)},
	}
	for _, f := range []struct{ key, value string }{
		{"contenttype", ev.ContentType},
		{"datacontenttype", ev.DataContentType},
		{"shkeptncontext", ev.KeptnContext},
		{"triggeredid", ev.TriggeredID},
	} {
		if f.value != "" {
			doc = append(doc, bson.E{Key: f.key, Value: f.value})
		}
	}
	api := bson.D{
		{Key: "time", Value: timeKeyOf(ev.Time)},
		{Key: "seq", Value: bson.NewObjectID()},
	}
	for _, f := range []struct {
		key  string
		json []byte
	}{{"data", ev.Data}, {"extensions", ev.Extensions}} {
		if f.json == nil {
			continue
		}
		// Text that is not JSON is kept, but cannot be queried.
		if v, err := jsonToBSON(f.json, esc, s.arraysAsDocuments); err == nil {
			doc = append(doc, bson.E{Key: f.key, Value: v})
		}
		api = append(api, bson.E{Key: f.key, Value: rawText(f.json)})
	}
	doc = append(doc, bson.E{Key: apiField, Value: api})
	return doc, nil
}

func rawText(b []byte) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return bson.Binary{Data: b}
}

// decodeEvent reads an event document of project, written by keptn-api or
// by Keptn 0.7.
func (s *Store) decodeEvent(raw bson.Raw, project string) (store.Event, error) {
	esc := escaper(s.escapeKeys)
	ev := store.Event{
		ID:              str(raw, "id"),
		Type:            str(raw, "type"),
		Source:          str(raw, "source"),
		SpecVersion:     str(raw, "specversion"),
		ContentType:     str(raw, "contenttype"),
		DataContentType: str(raw, "datacontenttype"),
		KeptnContext:    str(raw, "shkeptncontext"),
		TriggeredID:     str(raw, "triggeredid"),
		Time:            eventTime(raw.Lookup("time")),
		Project:         project,
	}
	var err error
	if ev.Data, err = jsonField(raw, "data", esc); err != nil {
		return store.Event{}, fmt.Errorf("event %q: data: %w", ev.ID, err)
	}
	if ev.Extensions, err = jsonField(raw, "extensions", esc); err != nil {
		return store.Event{}, fmt.Errorf("event %q: extensions: %w", ev.ID, err)
	}
	if data, ok := raw.Lookup("data").DocumentOK(); ok {
		ev.Stage, _ = data.Lookup("stage").StringValueOK()
		ev.Service, _ = data.Lookup("service").StringValueOK()
	}
	return ev, nil
}

// str returns the string at key, or "" when it is absent or not a string.
func str(raw bson.Raw, key ...string) string {
	v, _ := raw.Lookup(key...).StringValueOK()
	return v
}

// jsonField returns the JSON text of data or extensions: the text kept at
// insertion, or, for documents of Keptn 0.7, the stored value written as
// JSON. An absent value is nil.
func jsonField(raw bson.Raw, key string, esc escaper) ([]byte, error) {
	text := raw.Lookup(apiField, key)
	switch text.Type {
	case bson.TypeString:
		return []byte(text.StringValue()), nil
	case bson.TypeBinary:
		_, b := text.Binary()
		return b, nil
	}
	v := raw.Lookup(key)
	if v.Type == 0 {
		return nil, nil
	}
	return bsonToJSON(v, esc)
}

// eventTime reads the time of an event: RFC 3339 text as both keptn-api
// and Keptn 0.7 write it, or a BSON date. The zero time stands for an
// absent or unreadable one. A zero offset reads as UTC, any other as an
// unnamed fixed zone, as the SQLite backend returns them.
func eventTime(v bson.RawValue) time.Time {
	switch v.Type {
	case bson.TypeString:
		t, err := time.Parse(time.RFC3339Nano, v.StringValue())
		if err != nil {
			return time.Time{}
		}
		if _, off := t.Zone(); off != 0 {
			return t.In(time.FixedZone("", off))
		}
		return t.UTC()
	case bson.TypeDateTime:
		return time.UnixMilli(v.DateTime()).UTC()
	}
	return time.Time{}
}

// maxDocumentBytes is the BSON document size limit of MongoDB and
// FerretDB: 16 MiB.
const maxDocumentBytes = 16 << 20

// InsertEvent stores ev (see store.Events). The id is claimed first in
// keptnApiEventIDs, together with the document. Then the document goes to
// the project's collection, the context mapping, the root events and the
// invalidated events, and each of these steps is idempotent. Last, the
// claim drops the document. An insert interrupted on the way is completed by the next
// InsertEvent of the same id or at the next start-up.
func (s *Store) InsertEvent(ctx context.Context, ev store.Event) error {
	op := "insert event " + quote(ev.ID)
	release, err := s.acquire(op)
	if err != nil {
		return err
	}
	defer release()

	if ev.Project != "" {
		if err := checkProject(ev.Project); err != nil {
			return fmt.Errorf("mongodb: %s: %w", op, err)
		}
		if err := s.indexProject(ctx, ev.Project); err != nil {
			return s.translate(op, err)
		}
	}
	doc, err := s.encodeEvent(ev)
	if err != nil {
		return fmt.Errorf("mongodb: %s: %w", op, err)
	}

	claim, err := bson.Marshal(bson.D{
		{Key: "_id", Value: ev.ID},
		{Key: "project", Value: ev.Project},
		{Key: "pending", Value: true},
		{Key: "doc", Value: doc},
	})
	if err != nil {
		return fmt.Errorf("mongodb: %s: encode: %w", op, err)
	}
	// The claim is the largest document of an insert. The root event copy
	// swaps the id for the keptnContext, so that is counted as well.
	if size := len(claim) + len(ev.KeptnContext); size > maxDocumentBytes {
		return fmt.Errorf("mongodb: %s: %w: the event takes %d bytes in the database, over the limit of %d bytes (16 MiB) per document; "+
			"data is stored twice, as a document and as JSON text, so data can take at most about 8 MiB",
			op, store.ErrTooLarge, size, maxDocumentBytes)
	}

	claims := s.db.Collection(idsCollection)
	_, err = claims.InsertOne(ctx, claim)
	if mongo.IsDuplicateKeyError(err) {
		if err := s.completeClaim(ctx, ev.ID); err != nil {
			return s.translate(op, err)
		}
		return fmt.Errorf("mongodb: %s: %w", op, store.ErrAlreadyExists)
	}
	if err != nil {
		return s.translate(op, err)
	}
	return s.translate(op, s.complete(ctx, ev.Project, doc))
}

// completeClaim completes the insert of the claim of id when it is still
// pending.
func (s *Store) completeClaim(ctx context.Context, id string) error {
	raw, err := s.db.Collection(idsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.completeRaw(ctx, raw)
}

// completeRaw completes a claim document read from keptnApiEventIDs.
func (s *Store) completeRaw(ctx context.Context, claim bson.Raw) error {
	if pending, _ := claim.Lookup("pending").BooleanOK(); !pending {
		return nil
	}
	var doc bson.D
	if err := claim.Lookup("doc").Unmarshal(&doc); err != nil {
		return fmt.Errorf("read pending insert: %w", err)
	}
	return s.complete(ctx, str(claim, "project"), doc)
}

// complete writes an event document to every collection it belongs in and
// then marks its claim complete. Every step may run more than once.
func (s *Store) complete(ctx context.Context, project string, doc bson.D) error {
	var id, keptnContext, eventType string
	var key int64
	for _, e := range doc {
		switch e.Key {
		case "id":
			id, _ = e.Value.(string)
		case "shkeptncontext":
			keptnContext, _ = e.Value.(string)
		case "type":
			eventType, _ = e.Value.(string)
		case apiField:
			api, _ := e.Value.(bson.D)
			for _, a := range api {
				if a.Key == "time" {
					key, _ = a.Value.(int64)
				}
			}
		}
	}

	if err := insertIgnoringDuplicate(ctx, s.db.Collection(eventsCollection(project)), doc); err != nil {
		return err
	}
	if project != "" {
		err := insertIgnoringDuplicate(ctx, s.db.Collection(contextsCollection), bson.D{
			{Key: "_id", Value: keptnContext},
			{Key: "projectName", Value: project},
		})
		if err != nil {
			return err
		}
		if err := s.setRoot(ctx, project, keptnContext, key, doc); err != nil {
			return err
		}
		if strings.HasSuffix(eventType, invalidatedType) {
			if err := insertIgnoringDuplicate(ctx, s.db.Collection(project+invalidatedSuffix), doc); err != nil {
				return err
			}
		}
	}
	_, err := s.db.Collection(idsCollection).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}, {Key: "doc", Value: ""}}}})
	return err
}

func insertIgnoringDuplicate(ctx context.Context, c *mongo.Collection, doc bson.D) error {
	_, err := c.InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return err
}

// setRoot makes doc the root event of its keptnContext when it is the
// first, or earlier than the current root. A new root document has the
// keptnContext as _id, so two concurrent first events cannot both insert
// one; a replaced root keeps its _id.
func (s *Store) setRoot(ctx context.Context, project, keptnContext string, key int64, doc bson.D) error {
	roots := s.db.Collection(project + rootSuffix)
	body := make(bson.D, 0, len(doc))
	for _, e := range doc {
		if e.Key != "_id" {
			body = append(body, e)
		}
	}
	for range 2 {
		// The strict "$gt" keeps the first stored event on equal times.
		res, err := roots.ReplaceOne(ctx, bson.D{
			{Key: "shkeptncontext", Value: keptnContext},
			{Key: timeKey, Value: bson.D{{Key: "$gt", Value: key}}},
		}, body)
		if err != nil {
			return err
		}
		if res.MatchedCount > 0 {
			return nil
		}
		onInsert := append(bson.D{{Key: "_id", Value: keptnContext}}, body...)
		_, err = roots.UpdateOne(ctx,
			bson.D{{Key: "shkeptncontext", Value: keptnContext}},
			bson.D{{Key: "$setOnInsert", Value: onInsert}},
			options.UpdateOne().SetUpsert(true))
		if !mongo.IsDuplicateKeyError(err) {
			return err
		}
		// Another insert created the root meanwhile: compare with it.
	}
	return nil
}

// DeleteProjectEvents drops the project's collections, then removes its
// context mappings and the claims of its event ids (see store.Events).
// MongoDB has no transaction across collection drops; a call that fails
// half way leaves the rest for the next call, which finishes it.
func (s *Store) DeleteProjectEvents(ctx context.Context, project string) error {
	op := "delete events of project " + quote(project)
	release, err := s.acquire(op)
	if err != nil {
		return err
	}
	defer release()
	if checkProject(project) != nil {
		// No events can be stored under such a name.
		return nil
	}

	// NOTE: an insert of the project that runs meanwhile can leave an event
	// without its keptnApiEventIDs record, or a root event without its
	// event, because the drops and the insert's steps interleave.
	for _, name := range []string{project + rootSuffix, project + invalidatedSuffix, project} {
		if err := s.db.Collection(name).Drop(ctx); err != nil {
			return s.translate(op, err)
		}
	}
	s.indexed.Delete(project)
	filter := bson.D{{Key: "projectName", Value: project}}
	if _, err := s.db.Collection(contextsCollection).DeleteMany(ctx, filter); err != nil {
		return s.translate(op, err)
	}
	filter = bson.D{{Key: "project", Value: project}}
	if _, err := s.db.Collection(idsCollection).DeleteMany(ctx, filter); err != nil {
		return s.translate(op, err)
	}
	return nil
}
