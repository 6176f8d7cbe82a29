package workflow

import (
	"errors"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/configsvc"
)

func TestEvaluationWindow(t *testing.T) {
	now := time.Date(2020, 11, 16, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	at := func(clock string) time.Time {
		tm, err := time.Parse(time.DateTime, "2020-11-16 "+clock)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	tests := []struct {
		name                  string
		start, end, timeframe string
		wantStart, wantEnd    time.Time
		wantError             string
	}{
		{name: "defaults to the last 5 minutes", wantStart: at("09:25:00"), wantEnd: at("09:30:00")},
		{name: "timeframe before now", timeframe: "15m", wantStart: at("09:15:00"), wantEnd: at("09:30:00")},
		{name: "start and timeframe", start: "2020-11-16T08:00:00", timeframe: "10m", wantStart: at("08:00:00"), wantEnd: at("08:10:00")},
		{name: "start and end", start: "2020-11-16T08:00:00", end: "2020-11-16T08:01:00", wantStart: at("08:00:00"), wantEnd: at("08:01:00")},
		{name: "start alone", start: "2020-11-16T08:00:00", wantError: "Please provide a timeframe, e.g., --timeframe=5m, or an end date using --end=..."},
		{name: "end and timeframe", start: "2020-11-16T08:00:00", end: "2020-11-16T08:10:00", timeframe: "5m", wantError: "You can not use --end together with --timeframe"},
		{name: "end alone", end: "2020-11-16T08:10:00", wantError: "start date is required when using an end date"},
		{name: "timeframe without unit", timeframe: "5", wantError: "The time frame format is invalid. Use the format [duration]m, e.g.: 5m"},
		{name: "timeframe negative", timeframe: "-5m", wantError: "The time frame format is invalid. Use the format [duration]m, e.g.: 5m"},
		{name: "timeframe beyond ten years", timeframe: "99999999999m", wantError: "The time frame format is invalid. Use the format [duration]m, e.g.: 5m"},
		{name: "timeframe zero", timeframe: "0m", wantError: "end date must be at least 1 minute after start date"},
		{name: "end 59 seconds after start", start: "2020-11-16T08:00:00", end: "2020-11-16T08:00:59", wantError: "end date must be at least 1 minute after start date"},
		{name: "end beyond the year 9999", start: "9999-12-31T23:58:00", timeframe: "5256000m", wantError: "end date 10009-12-28T23:58:00 is after the year 9999; use an earlier start date or a shorter timeframe"},
		{name: "end in the year 10000", start: "9999-12-31T23:58:00", timeframe: "2m", wantError: "end date 10000-01-01T00:00:00 is after the year 9999; use an earlier start date or a shorter timeframe"},
		{name: "end at the last minute of 9999", start: "9999-12-31T23:58:00", timeframe: "1m", wantStart: time.Date(9999, 12, 31, 23, 58, 0, 0, time.UTC), wantEnd: time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC)},
		{name: "start without time", start: "2020-11-16", timeframe: "5m", wantError: `parsing time "2020-11-16" as "2006-01-02T15:04:05": cannot parse "" as "T"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, err := EvaluationWindow(tt.start, tt.end, tt.timeframe, now)
			if tt.wantError != "" {
				var inv *configsvc.InvalidError
				if !errors.As(err, &inv) || inv.Message != tt.wantError {
					t.Fatalf("error = %v, want InvalidError %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !start.Equal(tt.wantStart) || !end.Equal(tt.wantEnd) {
				t.Errorf("window = %s to %s, want %s to %s", start, end, tt.wantStart, tt.wantEnd)
			}
			if start.Location() != time.UTC || end.Location() != time.UTC {
				t.Errorf("window is in %s and %s, want UTC", start.Location(), end.Location())
			}
		})
	}
}
