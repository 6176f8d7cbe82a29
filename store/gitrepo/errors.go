package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/keptn-api/keptn-api/store"
)

func errProjectNotFound(project string) error {
	return fmt.Errorf("gitrepo: project %q: %w", project, store.ErrProjectNotFound)
}

func errBranchNotFound(project, branch string) error {
	return fmt.Errorf("gitrepo: project %q: branch %q: %w", project, branch, store.ErrNotFound)
}

// translate turns an error of go-git or the file system into the error of a
// store method. A missing object, reference or file becomes
// store.ErrNotFound. So does an object of the wrong type, because a caller
// only names an object by a hash it expects to be a commit. subject names
// what was read, such as `project "p": commit "1234…"`. Errors of this
// package that wrap a store sentinel already name it and pass unchanged.
func translate(err error, subject string) error {
	switch {
	case err == nil:
		return nil
	case err == store.ErrNotFound:
		return fmt.Errorf("gitrepo: %s: %w", subject, err)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyExists),
		errors.Is(err, store.ErrUpstream), errors.Is(err, store.ErrClosed):
		return err
	case errors.Is(err, plumbing.ErrObjectNotFound), errors.Is(err, plumbing.ErrReferenceNotFound),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, errObjectType):
		return fmt.Errorf("gitrepo: %s: %w", subject, store.ErrNotFound)
	default:
		return fmt.Errorf("gitrepo: %s: %w", subject, err)
	}
}

// upstreamError is an error of an exchange with an upstream. It keeps only
// the masked text of the cause, never the cause itself, because a cause
// such as *url.Error can carry credentials that errors.As would hand out.
type upstreamError struct {
	text string
	// ctxErr is context.Canceled or context.DeadlineExceeded when the
	// exchange stopped for that reason, so that errors.Is still finds it.
	ctxErr error
}

func (e *upstreamError) Error() string { return e.text }

func (e *upstreamError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{store.ErrUpstream, e.ctxErr}
	}
	return []error{store.ErrUpstream}
}

// newUpstreamError builds the error of a failed upstream operation on a
// project. Every error that leaves the upstream code passes through here,
// which masks the token and any password in a URL (see maskSecrets).
func newUpstreamError(project, op string, cause error, creds *credentials) error {
	var secrets []string
	if creds != nil {
		secrets = creds.secrets()
	}
	// The text has no package prefix, because handlers return it to the
	// client.
	text := fmt.Sprintf("project %q: git %s: %s: %s", project, store.ErrUpstream, op, causeText(cause))
	e := &upstreamError{text: maskSecrets(text, secrets...)}
	switch {
	case errors.Is(cause, context.Canceled):
		e.ctxErr = context.Canceled
	case errors.Is(cause, context.DeadlineExceeded):
		e.ctxErr = context.DeadlineExceeded
	}
	return e
}

func causeText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
