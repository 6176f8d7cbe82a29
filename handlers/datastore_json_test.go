package handlers

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-openapi/strfmt"

	"github.com/keptn-api/keptn-api/internal/keptn"
	models "github.com/keptn-api/keptn-api/models/datastore"
	"github.com/keptn-api/keptn-api/store"
)

// modelPage converts events through the generated models, the reference
// that eventsResponse must match byte for byte.
func modelPage(events []store.Event, paged bool, next string, size, total int64) any {
	var out []*models.KeptnContextExtendedCE
	for i := range events {
		ev := events[i]
		m := &models.KeptnContextExtendedCE{
			ID: ev.ID, Type: &ev.Type, Source: &ev.Source, Specversion: ev.SpecVersion,
			Contenttype: ev.ContentType, Datacontenttype: ev.DataContentType,
			Shkeptncontext: ev.KeptnContext, Triggeredid: ev.TriggeredID,
			Time: strfmt.DateTime(ev.Time), Data: keptn.ScrubEventContext(ev.Data),
		}
		if ev.Extensions != nil {
			m.Extensions = ev.Extensions
		}
		out = append(out, m)
	}
	if paged {
		return &models.EventPage{Events: out, NextPageKey: next, PageSize: size, TotalCount: total}
	}
	return &models.EventsByType{Events: out}
}

func encodeReference(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleEvents() []store.Event {
	plus2 := time.FixedZone("", 2*3600)
	return []store.Event{
		{
			ID: "e1", Type: "sh.keptn.events.evaluation-done", Source: "lighthouse-service", SpecVersion: "0.2",
			ContentType: "application/json", KeptnContext: "c1", TriggeredID: "t1",
			Time: time.Date(2020, 11, 16, 9, 28, 19, 34517209, time.UTC),
			Data: json.RawMessage(`{"project":"sockshop","score":100,"criteria":"<=+10%","eventContext":{"keptnContext":"c1","token":"x"}}`),
		},
		{
			ID: "", Type: "t\"\\\n\u2028<&>\x01", Source: "s\xff", SpecVersion: "1.0", DataContentType: "application/json",
			Time:       time.Date(2021, 1, 2, 3, 4, 5, 999999999, plus2),
			Extensions: json.RawMessage(`{"a":[1,2]}`),
		},
		{ID: "zero", Type: "x", Source: "y", Data: json.RawMessage(`[]`)},
	}
}

func TestEventsResponseMatchesModels(t *testing.T) {
	events := sampleEvents()
	cases := []struct {
		name string
		resp eventsResponse
	}{
		{"page", eventsResponse{events: events, paged: true, nextPageKey: "20", pageSize: 20, totalCount: 57}},
		{"last page", eventsResponse{events: events, paged: true, pageSize: 5, totalCount: 3}},
		{"empty page", eventsResponse{paged: true, pageSize: 20}},
		{"by type", eventsResponse{events: events}},
		{"by type empty", eventsResponse{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.resp.appendJSON(nil)
			want := encodeReference(t, modelPage(c.resp.events, c.resp.paged, c.resp.nextPageKey, c.resp.pageSize, c.resp.totalCount))
			if !bytes.Equal(got, want) {
				t.Errorf("eventsResponse wrote\n%s\nthe generated models write\n%s", got, want)
			}
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é😀<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := bytes.TrimSuffix(encodeReference(t, s), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
