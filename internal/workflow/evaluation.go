package workflow

import (
	"context"
	"regexp"
	"strconv"
	"time"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

// EvaluationInput is the request of POST .../evaluation. Every field is
// optional.
type EvaluationInput struct {
	Project, Stage, Service string
	// Start and End use the layout 2006-01-02T15:04:05 in UTC.
	Start, End string
	// Timeframe is a number of minutes followed by "m", such as "5m".
	Timeframe string
	Labels    map[string]string
}

const (
	// evaluationInputLayout is the layout of start and end in requests.
	evaluationInputLayout = "2006-01-02T15:04:05"
	// evaluationEventLayout is the layout of start and end in the event.
	evaluationEventLayout = "2006-01-02T15:04:05.000Z"
	defaultTimeframe      = 5 * time.Minute
	minEvaluationWindow   = time.Minute
	// maxTimeframeMinutes (ten years) keeps the window inside the range of
	// time.Duration.
	maxTimeframeMinutes = 10 * 365 * 24 * 60
	// maxEvaluationYear is the last year that start and end can have.
	maxEvaluationYear = 9999
)

var timeframePattern = regexp.MustCompile(`^([0-9]+)m$`)

// startEvaluationData is the data of a start-evaluation event.
type startEvaluationData struct {
	Project            string            `json:"project"`
	Stage              string            `json:"stage"`
	Service            string            `json:"service"`
	TestStrategy       string            `json:"teststrategy"`
	DeploymentStrategy string            `json:"deploymentstrategy"`
	Start              string            `json:"start"`
	End                string            `json:"end"`
	Labels             map[string]string `json:"labels"`
}

// TriggerEvaluation emits sh.keptn.event.start-evaluation for a service and
// a time window. It returns the not-found error of the project, stage or
// service, or an InvalidError for a window that breaks the rules of
// EvaluationWindow.
func (w *Workflows) TriggerEvaluation(ctx context.Context, in EvaluationInput) (keptn.EventContext, error) {
	if _, err := w.config.Service(ctx, in.Project, in.Stage, in.Service); err != nil {
		return keptn.EventContext{}, err
	}
	start, end, err := EvaluationWindow(in.Start, in.End, in.Timeframe, w.now())
	if err != nil {
		return keptn.EventContext{}, err
	}

	r, err := w.start()
	if err != nil {
		return keptn.EventContext{}, err
	}
	data := startEvaluationData{
		Project: in.Project, Stage: in.Stage, Service: in.Service,
		TestStrategy: "manual",
		Start:        start.Format(evaluationEventLayout),
		End:          end.Format(evaluationEventLayout),
		Labels:       in.Labels,
	}
	if err := r.emit(ctx, TypeStartEvaluation, data); err != nil {
		return keptn.EventContext{}, r.finish(err, "")
	}
	return r.ec, r.finish(nil, "Evaluation of service %s in stage %s of project %s started for %s to %s",
		in.Service, in.Stage, in.Project, data.Start, data.End)
}

// EvaluationWindow returns the UTC time window of an evaluation under the
// rules of Keptn 0.7. Without any value it is the 5 minutes before now, and
// with only a timeframe it is that long before now. Start and timeframe, or
// start and end, give the window directly. The window must be at least a
// minute long and end in the year 9999 at the latest.
func EvaluationWindow(startText, endText, timeframe string, now time.Time) (start, end time.Time, err error) {
	switch {
	case startText != "" && endText == "" && timeframe == "":
		return start, end, invalid("Please provide a timeframe, e.g., --timeframe=5m, or an end date using --end=...")
	case endText != "" && timeframe != "":
		return start, end, invalid("You can not use --end together with --timeframe")
	case endText != "" && startText == "":
		return start, end, invalid("start date is required when using an end date")
	}

	length := defaultTimeframe
	if timeframe != "" {
		m := timeframePattern.FindStringSubmatch(timeframe)
		minutes, convErr := 0, error(nil)
		if m != nil {
			minutes, convErr = strconv.Atoi(m[1])
		}
		if m == nil || convErr != nil || minutes > maxTimeframeMinutes {
			return start, end, invalid("The time frame format is invalid. Use the format [duration]m, e.g.: 5m")
		}
		length = time.Duration(minutes) * time.Minute
	}

	end = now.UTC()
	start = end.Add(-length)
	if startText != "" {
		if start, err = parseEvaluationTime(startText); err != nil {
			return start, end, err
		}
		end = start.Add(length)
	}
	if endText != "" {
		if end, err = parseEvaluationTime(endText); err != nil {
			return start, end, err
		}
	}
	if end.Sub(start) < minEvaluationWindow {
		return start, end, invalid("end date must be at least 1 minute after start date")
	}
	// The event's layout has four year digits, and RFC 3339 readers reject
	// a fifth one.
	if end.Year() > maxEvaluationYear {
		return start, end, invalid("end date %s is after the year %d; use an earlier start date or a shorter timeframe", end.Format("2006-01-02T15:04:05"), maxEvaluationYear)
	}
	return start, end, nil
}

// parseEvaluationTime parses a start or end value. The error is Go's
// time-parse text, as Keptn 0.7 returned it.
func parseEvaluationTime(value string) (time.Time, error) {
	t, err := time.Parse(evaluationInputLayout, value)
	if err != nil {
		return time.Time{}, invalid("%v", err)
	}
	return t.UTC(), nil
}
