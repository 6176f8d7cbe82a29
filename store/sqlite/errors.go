package sqlite

import (
	"errors"
	"fmt"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keptn-api/keptn-api/store"
)

// translate wraps a driver error with the name of the failed operation. A
// unique or primary key violation becomes store.ErrAlreadyExists, and the
// driver error stays in the chain for errors.As. Context errors keep their
// identity through %w, so errors.Is(err, context.Canceled) holds.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrAlreadyExists, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func isUniqueViolation(err error) bool {
	var se *sqlitedriver.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// invalidQuery returns an error wrapping store.ErrInvalidQuery.
func invalidQuery(format string, args ...any) error {
	return fmt.Errorf("sqlite: query events: %w: %s", store.ErrInvalidQuery, fmt.Sprintf(format, args...))
}
