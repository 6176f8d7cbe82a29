package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/store"
)

// errTexts are the messages one configuration-service operation answers for
// each kind of failure, taken from Keptn 0.7 where it had them. An empty text
// leaves the error to the common funnel.
type errTexts struct {
	// status is the status of a missing project, stage or service: 404 for
	// reads, and 400 for writes, as Keptn 0.7 answered them.
	status   int
	project  string
	stage    string
	service  string
	resource string
	approval string
	exists   string
	// upstreamStatus is the status of an upstream failure: 400 for writes,
	// whose upstream the client configured, 502 for reads.
	upstreamStatus int
}

// translate turns a domain error into a clientError with the operation's
// text. Other errors pass unchanged to the funnel.
func (t errTexts) translate(err error) error {
	var inv *configsvc.InvalidError
	var conflict *configsvc.ConflictError
	mapping := []struct {
		target error
		text   string
	}{
		{configsvc.ErrResourceNotFound, t.resource},
		{configsvc.ErrApprovalNotFound, t.approval},
		{configsvc.ErrRemediationNotFound, t.approval},
		{store.ErrServiceNotFound, t.service},
		{store.ErrStageNotFound, t.stage},
		{store.ErrProjectNotFound, t.project},
	}
	switch {
	case errors.As(err, &inv):
		return badRequest("%s", inv.Message)
	case errors.As(err, &conflict):
		return &clientError{status: http.StatusConflict, message: conflict.Message}
	case errors.Is(err, store.ErrAlreadyExists) && t.exists != "":
		return badRequest("%s", t.exists)
	case errors.Is(err, store.ErrUpstream):
		status := t.upstreamStatus
		if status == 0 {
			status = http.StatusBadRequest
		}
		// Repository errors mask the token, so their text is safe to return.
		return &clientError{status: status, message: clientText(err)}
	}
	for _, m := range mapping {
		if m.text != "" && errors.Is(err, m.target) {
			status := t.status
			if status == 0 || m.target == configsvc.ErrResourceNotFound || m.target == configsvc.ErrApprovalNotFound || m.target == configsvc.ErrRemediationNotFound {
				status = http.StatusNotFound
			}
			return &clientError{status: status, message: m.text}
		}
	}
	return err
}

// failConfig maps err through the operation's texts and the error funnel into
// the default response of an operation.
func failConfig[R interface{ WithPayload(*models.Error) R }](log *slog.Logger, r *http.Request, texts errTexts, err error, newDefault func(int) R) R {
	status, code, message := errorResponse(r, log, texts.translate(err))
	return newDefault(status).WithPayload(&models.Error{Code: code, Message: &message})
}

// pageBounds returns the slice bounds of one page of a list of total items
// and its nextPageKey in the configuration-service dialect: the decimal
// offset of the next page, or "0" on the last page.
func pageBounds(total int, pageSize *int64, nextPageKey *string) (start, end int, next string, err error) {
	start, err = parsePageKey(nextPageKey)
	if err != nil {
		return 0, 0, "", err
	}
	size := 20
	if pageSize != nil {
		size = int(*pageSize)
	}
	start = min(start, total)
	end = min(total, start+size)
	next = "0"
	if start+size < total {
		next = strconv.Itoa(start + size)
	}
	return start, end, next, nil
}

// epochNanos writes a time as the configuration-service does: Unix
// nanoseconds in decimal, or "" for the zero time.
func epochNanos(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// pullFirst reports whether a read pulls from the upstream first. The
// generated binder reads any text other than a true value as false, so the
// raw value is checked as the datastore checks its boolean parameters.
func pullFirst(r *http.Request, disableUpstreamSync *bool) (bool, error) {
	if err := checkBoolParam(r, "disableUpstreamSync"); err != nil {
		return false, err
	}
	return disableUpstreamSync == nil || !*disableUpstreamSync, nil
}

// resourcesFromModel converts the resources of a request body, rejecting an
// item that is null.
func resourcesFromModel(items []*models.Resource) ([]configsvc.Resource, error) {
	out := make([]configsvc.Resource, 0, len(items))
	for i, item := range items {
		if item == nil || item.ResourceURI == nil {
			return nil, unprocessable(codeRequired, "resources.%d.resourceURI in body is required", i)
		}
		out = append(out, configsvc.Resource{URI: *item.ResourceURI, Content: item.ResourceContent})
	}
	return out, nil
}

func versionModel(v store.Version) *models.Version {
	return &models.Version{Version: v.CommitID, Branch: v.Branch, UpstreamURL: v.UpstreamURL}
}

func isNotFoundErr(err error) bool {
	return errors.Is(err, store.ErrNotFound)
}

// ignoreExists treats a concurrent create of the same entity as success.
func ignoreExists(err error) error {
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	return err
}
