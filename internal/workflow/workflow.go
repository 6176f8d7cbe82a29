// Package workflow runs the project, service and evaluation workflows of the
// api collection, which Keptn 0.7 spread over the shipyard-service, the
// helm-service and the configuration-service. Each workflow runs within the
// request, so a failure reaches the client as an error status with its cause.
// While it runs it sends a log line per step to the log websocket of its
// keptnContext, ending with a message that has terminate set, and on success
// it stores the events it emits through the event bus.
package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/internal/keylock"
	"github.com/keptn-api/keptn-api/internal/logstream"
	"github.com/keptn-api/keptn-api/store"
)

// Event types that the workflows emit. The ".finished" types record the
// outcome of a workflow; Keptn 0.7 reported it only on the log websocket.
const (
	TypeProjectCreate         = "sh.keptn.internal.event.project.create"
	TypeProjectCreateFinished = "sh.keptn.internal.event.project.create.finished"
	TypeServiceCreate         = "sh.keptn.internal.event.service.create"
	TypeServiceCreateFinished = "sh.keptn.internal.event.service.create.finished"
	TypeServiceDelete         = "sh.keptn.internal.event.service.delete"
	TypeServiceDeleteFinished = "sh.keptn.internal.event.service.delete.finished"
	TypeStartEvaluation       = "sh.keptn.event.start-evaluation"
)

// Workflows runs the workflows against the configuration-service domain and
// the event bus.
type Workflows struct {
	config *configsvc.Service
	bus    *eventbus.Bus
	logs   *logstream.Hub
	signer *keptn.TokenSigner
	log    *slog.Logger
	now    func() time.Time

	// projects serialises the workflows of one project name. A workflow
	// checks the project, changes the configuration and stores or deletes
	// events in separate steps. A workflow of the same project running in
	// between could leave events of a deleted project, or a project with
	// two creation events.
	projects keylock.Locks
}

// New returns the workflows.
func New(config *configsvc.Service, bus *eventbus.Bus, logs *logstream.Hub, signer *keptn.TokenSigner, log *slog.Logger) *Workflows {
	return &Workflows{config: config, bus: bus, logs: logs, signer: signer, log: log, now: time.Now}
}

// run is one workflow run: its eventContext and the log lines it sends.
type run struct {
	w  *Workflows
	ec keptn.EventContext
}

// start begins a run under a new keptnContext.
func (w *Workflows) start() (*run, error) {
	token, err := w.signer.Sign(w.now())
	if err != nil {
		return nil, err
	}
	return &run{w: w, ec: keptn.EventContext{KeptnContext: keptn.NewContext(), Token: token}}, nil
}

// step sends a log line.
func (r *run) step(format string, args ...any) {
	r.send(logstream.LevelInfo, fmt.Sprintf(format, args...), false)
}

// finish sends the final log line: the success text, or the error when err
// is not nil. It returns err.
func (r *run) finish(err error, format string, args ...any) error {
	if err != nil {
		r.send(logstream.LevelError, err.Error(), true)
		return err
	}
	r.send(logstream.LevelInfo, fmt.Sprintf(format, args...), true)
	return nil
}

func (r *run) send(level, text string, terminate bool) {
	msg := logstream.NewMessage(keptn.NewEventID(), keptn.DefaultSource, r.ec.KeptnContext, level, text, terminate, r.w.now())
	r.w.logs.Publish(r.ec.KeptnContext, msg, terminate)
}

// emit stores and distributes an event of the run whose data is the JSON of
// data with the run's eventContext added.
func (r *run) emit(ctx context.Context, eventType string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s data: %w", eventType, err)
	}
	raw, err = keptn.WithEventContext(raw, r.ec)
	if err != nil {
		return fmt.Errorf("encode %s data: %w", eventType, err)
	}
	ev := store.Event{
		ID:           keptn.NewEventID(),
		Type:         eventType,
		Source:       keptn.DefaultSource,
		SpecVersion:  "0.2",
		ContentType:  "application/json",
		KeptnContext: r.ec.KeptnContext,
		Time:         r.w.now().UTC(),
		Data:         raw,
	}
	ev.Project, ev.Stage, ev.Service = keptn.DataScope(raw)
	return r.w.bus.Publish(ctx, ev)
}

// outcome is the data of a ".finished" event.
type outcome struct {
	Project string `json:"project"`
	Service string `json:"service,omitempty"`
	Result  string `json:"result"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func succeeded(project, service, message string) outcome {
	return outcome{Project: project, Service: service, Result: "pass", Status: "succeeded", Message: message}
}

// undo runs a rollback step after a failure and logs when it fails too,
// because the caller returns the first error.
func (w *Workflows) undo(ctx context.Context, what string, step func(context.Context) error) {
	// The request may be canceled already; the rollback must still run.
	if err := step(context.WithoutCancel(ctx)); err != nil {
		w.log.Error("workflow rollback failed", "step", what, "error", err)
	}
}
