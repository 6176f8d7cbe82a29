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
}

// migrate brings the schema of the file on c to len(migrations), one
// transaction per step. It fails on a file written by a newer build, whose
// schema this code does not know.
func migrate(ctx context.Context, c *sql.Conn) error {
	var version int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return translate("read schema version", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlite: schema version %d of the database is newer than the %d this build supports; use a newer keptn-api",
			version, len(migrations))
	}

	for v := version; v < len(migrations); v++ {
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
