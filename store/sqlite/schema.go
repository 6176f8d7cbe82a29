package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations lists the schema changes in order. Migration i takes the file
// from PRAGMA user_version i to i+1. Append new steps; never edit a released
// one, because files already migrated past it will not run it again.
var migrations = []string{
	// Version 1.
	//
	// events.seq is the rowid and so grows with insertion order: it breaks
	// ties between equal times. time_ns is the instant in nanoseconds since
	// 1970 UTC, and time_offset the UTC offset in seconds it was written with.
	// data and extensions hold the JSON text exactly as received (NULL for a
	// nil value). data_valid is 1 when SQLite can parse data, and guards the
	// JSON functions of data conditions: one malformed row must not fail a
	// whole query.
	//
	// Every events index starts with project, because every query is scoped
	// to one project. SQLite appends the rowid (seq) to each index, so the
	// (project, ..., time_ns) indexes also deliver the "time_ns DESC, seq
	// DESC" order without a sort.
	`
CREATE TABLE events (
	seq             INTEGER PRIMARY KEY,
	id              TEXT    NOT NULL,
	type            TEXT    NOT NULL,
	source          TEXT    NOT NULL,
	specversion     TEXT    NOT NULL,
	contenttype     TEXT    NOT NULL,
	datacontenttype TEXT    NOT NULL,
	keptncontext    TEXT    NOT NULL,
	triggeredid     TEXT    NOT NULL,
	time_ns         INTEGER NOT NULL,
	time_offset     INTEGER NOT NULL,
	data            TEXT,
	extensions      TEXT,
	project         TEXT    NOT NULL,
	stage           TEXT    NOT NULL,
	service         TEXT    NOT NULL,
	data_valid      INTEGER GENERATED ALWAYS AS (coalesce(json_valid(data), 0)) STORED
) STRICT;

CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_project_time ON events (project, time_ns);
CREATE INDEX events_project_context_time ON events (project, keptncontext, time_ns);
CREATE INDEX events_project_type_time ON events (project, type, time_ns);
CREATE INDEX events_project_source_time ON events (project, source, time_ns);
CREATE INDEX events_project_stage_time ON events (project, stage, time_ns);
CREATE INDEX events_project_service_time ON events (project, service, time_ns);
CREATE INDEX events_project_triggeredid_type ON events (project, triggeredid, type);

-- The project each keptnContext was first stored under. Rows are only added,
-- and removed with the project.
CREATE TABLE context_projects (
	keptncontext TEXT NOT NULL PRIMARY KEY,
	project      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX context_projects_project ON context_projects (project);

-- The root event of each keptnContext in each project: the one with the
-- smallest time_ns, the smallest seq on ties. Insert keeps it current.
CREATE TABLE root_events (
	project      TEXT    NOT NULL,
	keptncontext TEXT    NOT NULL,
	seq          INTEGER NOT NULL,
	time_ns      INTEGER NOT NULL,
	PRIMARY KEY (project, keptncontext)
) STRICT, WITHOUT ROWID;

CREATE INDEX root_events_project_time ON root_events (project, time_ns, seq);

-- Fixed planner statistics, in the format ANALYZE writes: the rows of an
-- index, then the average rows per distinct value of its first 1, 2, ...
-- columns. The primary key of a WITHOUT ROWID table is listed under the
-- table's name. They describe a large store (a million events, tens of projects,
-- ten events per context, a handful of types, stages and services) so that
-- the planner picks the most selective index rather than the one that
-- avoids a sort. Without statistics it walks events_project_time for a
-- triggeredid lookup, which reads the whole project. Running ANALYZE
-- replaces them with measured ones. ANALYZE on the empty tables creates
-- sqlite_stat1, which CREATE TABLE may not, and "ANALYZE sqlite_schema"
-- makes this connection load the rows.
ANALYZE;
DELETE FROM sqlite_stat1;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('events', 'events_id', '1000000 1'),
	('events', 'events_project_time', '1000000 50000 1'),
	('events', 'events_project_context_time', '1000000 50000 10 1'),
	('events', 'events_project_type_time', '1000000 50000 2000 1'),
	('events', 'events_project_source_time', '1000000 50000 5000 1'),
	('events', 'events_project_stage_time', '1000000 50000 15000 1'),
	('events', 'events_project_service_time', '1000000 50000 5000 1'),
	('events', 'events_project_triggeredid_type', '1000000 50000 3 1'),
	('root_events', 'root_events', '100000 5000 1'),
	('root_events', 'root_events_project_time', '100000 5000 1 1'),
	('context_projects', 'context_projects', '100000 1'),
	('context_projects', 'context_projects_project', '100000 5000');
ANALYZE sqlite_schema;
`,

	// Version 2: the configuration view of projects (store.Projects).
	//
	// Each table's id is its rowid. SQLite gives a new row the largest rowid
	// in the table plus one (until a rowid reaches 2^63-1), so ordering by
	// id lists rows in creation order, also after deletes. Stages and
	// services belong to their parent through its id, and ON DELETE CASCADE
	// removes them with it. SQLite applies the cascade only on connections
	// that enable foreign keys, as the writer connection does. The UNIQUE
	// constraints make names unique within the parent. Their indexes start
	// with the parent id, so they also serve the lookups by parent and the
	// cascades.
	//
	// creation_ns is nanoseconds since 1970 UTC, NULL for the zero
	// time.Time. The state of a service is only ever read and written as a
	// whole, so it is kept as JSON text, NULL when empty. last_event_types
	// is an object that maps an event type to {keptnContext, eventId, time},
	// with time as RFC 3339 text to the nanosecond. open_approvals and
	// open_remediations are arrays in insertion order. Child tables would
	// turn each update of a service, which the configuration view makes for
	// every event, into a delete and reinsert of all its rows.
	`
CREATE TABLE projects (
	id             INTEGER PRIMARY KEY,
	name           TEXT    NOT NULL UNIQUE,
	git_user       TEXT    NOT NULL,
	git_remote_uri TEXT    NOT NULL,
	shipyard       TEXT    NOT NULL,
	creation_ns    INTEGER
) STRICT;

CREATE TABLE stages (
	id         INTEGER PRIMARY KEY,
	project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	name       TEXT    NOT NULL,
	UNIQUE (project_id, name)
) STRICT;

CREATE TABLE services (
	id                INTEGER PRIMARY KEY,
	stage_id          INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
	name              TEXT    NOT NULL,
	creation_ns       INTEGER,
	deployed_image    TEXT    NOT NULL,
	last_event_types  TEXT,
	open_approvals    TEXT,
	open_remediations TEXT,
	UNIQUE (stage_id, name)
) STRICT;
`,

	// Version 3: fewer index pages written per event.
	//
	// Each insert writes every index page it changes to the WAL, and later
	// the checkpoint copies it into the database file. An index whose new
	// entries land on a random page, such as one keyed by a keptnContext
	// (a random UUID), costs about one page per event. With 10 projects
	// and batches of about 10 events, each of the other indexes still
	// costs about 0.6 pages per event, as measured with the data set of
	// make bench.
	//
	// contexts numbers the keptnContexts stored with a project in the
	// order they were first stored, and keeps the project each is mapped to
	// (NULL after DeleteProjectEvents removed the events of that project).
	// context_events and roots are keyed by that number, so the rows of a
	// new keptnContext go to the end of their B-trees. context_events lists
	// the events that have a project by keptnContext, as an index would,
	// and roots replaces root_events. Of these tables, only
	// contexts_keptncontext still gets a random entry, once per
	// keptnContext. events_id gets one per event.
	//
	// events_project_time_covering replaces events_project_time and the
	// (project, stage), (project, service) and (project, source) indexes.
	// A query on those fields walks the project's events newest first and
	// tests them in the index, and a count reads the index alone. Such a
	// query reads every index entry of the project when its value is rare.
	// seq is part of the key so that the index delivers the "time_ns DESC,
	// seq DESC" order.
	`
CREATE TABLE contexts (
	id           INTEGER PRIMARY KEY,
	keptncontext TEXT    NOT NULL,
	project      TEXT
) STRICT;

CREATE UNIQUE INDEX contexts_keptncontext ON contexts (keptncontext);

CREATE TABLE context_events (
	context_id INTEGER NOT NULL,
	project    TEXT    NOT NULL,
	time_ns    INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	PRIMARY KEY (context_id, project, time_ns, seq)
) STRICT, WITHOUT ROWID;

-- The root event of each keptnContext in each project, as in root_events.
CREATE TABLE roots (
	context_id INTEGER NOT NULL,
	project    TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	time_ns    INTEGER NOT NULL,
	PRIMARY KEY (context_id, project)
) STRICT, WITHOUT ROWID;

-- Every keptnContext with events of a project has a row in root_events,
-- mapped or not.
INSERT INTO contexts (keptncontext, project)
SELECT r.keptncontext, m.project
FROM (SELECT keptncontext, min(seq) AS first_seq FROM root_events GROUP BY keptncontext) r
LEFT JOIN context_projects m ON m.keptncontext = r.keptncontext
ORDER BY r.first_seq;

INSERT INTO context_events (context_id, project, time_ns, seq)
SELECT c.id, e.project, e.time_ns, e.seq
FROM events e JOIN contexts c ON c.keptncontext = e.keptncontext
WHERE e.project <> '';

INSERT INTO roots (context_id, project, seq, time_ns)
SELECT c.id, r.project, r.seq, r.time_ns
FROM root_events r JOIN contexts c ON c.keptncontext = r.keptncontext;

CREATE INDEX roots_project_time ON roots (project, time_ns, seq);

DROP TABLE root_events;
DROP TABLE context_projects;
DROP INDEX events_project_context_time;
DROP INDEX events_project_time;
DROP INDEX events_project_stage_time;
DROP INDEX events_project_service_time;
DROP INDEX events_project_source_time;

CREATE INDEX events_project_time_covering ON events (project, time_ns, seq, stage, service, source);

-- Fixed planner statistics for the new B-trees, for the large store that
-- version 1 describes. DROP removed the rows of the dropped ones.
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('events', 'events_project_time_covering', '1000000 50000 1 1 1 1 1'),
	('contexts', 'contexts_keptncontext', '100000 1'),
	('context_events', 'context_events', '1000000 10 10 1 1'),
	('roots', 'roots', '100000 1 1'),
	('roots', 'roots_project_time', '100000 5000 1 1');
ANALYZE sqlite_schema;
`,
}

// migrate brings the schema of the file on c to len(migrations), one
// transaction per step. It fails on a file written by a newer build, whose
// schema this code does not know.
func migrate(ctx context.Context, c *sql.Conn) error {
	return migrateTo(ctx, c, len(migrations))
}

// migrateTo brings the schema of the file on c to version target, which
// tests set lower than len(migrations) to write the files of older builds.
func migrateTo(ctx context.Context, c *sql.Conn, target int) error {
	var version int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return translate("read schema version", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlite: schema version %d of the database is newer than the %d this build supports; use a newer keptn-api",
			version, len(migrations))
	}

	for v := version; v < target; v++ {
		if err := migrateStep(ctx, c, v); err != nil {
			return err
		}
	}
	return nil
}

func migrateStep(ctx context.Context, c *sql.Conn, from int) (err error) {
	op := fmt.Sprintf("migrate schema from version %d to %d", from, from+1)
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return translate(op, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()

	if _, err = tx.ExecContext(ctx, migrations[from]); err != nil {
		return translate(op, err)
	}
	// PRAGMA takes no parameters, so the version goes in as a formatted
	// integer.
	if _, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return translate(op, err)
	}
	if err = tx.Commit(); err != nil {
		return translate(op, err)
	}
	return nil
}
