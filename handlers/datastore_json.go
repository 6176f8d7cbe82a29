package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-openapi/runtime"

	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/store"
)

// eventsResponse writes a page of stored events as the EventPage or
// EventsByType definition of the datastore spec, byte for byte as
// encoding/json writes the generated models. It appends the stored data
// directly instead of re-validating it, which encoding/json does for every
// json.RawMessage and which dominated the cost of large pages. The stored
// data is valid compact JSON: the intake compacts it.
type eventsResponse struct {
	events []store.Event
	// paged selects the EventPage shape with the fields below; otherwise
	// the response is EventsByType.
	paged       bool
	nextPageKey string
	pageSize    int64
	totalCount  int64
}

// GetEventsResponder and GetEventsByTypeResponder make eventsResponse a
// strict responder of both query operations.
func (e *eventsResponse) GetEventsResponder()       {}
func (e *eventsResponse) GetEventsByTypeResponder() {}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// WriteResponse writes the 200 response.
func (e *eventsResponse) WriteResponse(w http.ResponseWriter, _ runtime.Producer) {
	bp := bufferPool.Get().(*[]byte)
	b := e.appendJSON((*bp)[:0])

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)

	// Very large pages are not kept, so one big response does not pin
	// its buffer for good.
	if cap(b) <= 1<<20 {
		*bp = b
		bufferPool.Put(bp)
	}
}

func (e *eventsResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"events":`...)
	if len(e.events) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range e.events {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEvent(b, &e.events[i])
		}
		b = append(b, ']')
	}
	if e.paged {
		if e.nextPageKey != "" {
			b = append(b, `,"nextPageKey":`...)
			b = appendJSONString(b, e.nextPageKey)
		}
		if e.pageSize != 0 {
			b = append(b, `,"pageSize":`...)
			b = strconv.AppendInt(b, e.pageSize, 10)
		}
		if e.totalCount != 0 {
			b = append(b, `,"totalCount":`...)
			b = strconv.AppendInt(b, e.totalCount, 10)
		}
	}
	return append(b, "}\n"...)
}

// appendEvent writes one event with the member order, omissions and time
// format of the generated KeptnContextExtendedCE model of the datastore.
func appendEvent(b []byte, ev *store.Event) []byte {
	b = append(b, '{')
	if ev.ContentType != "" {
		b = appendMember(b, "contenttype", ev.ContentType)
	}
	if data := keptn.ScrubEventContext(ev.Data); len(data) > 0 {
		b = append(b, `"data":`...)
		b = append(b, data...)
		b = append(b, ',')
	}
	if ev.DataContentType != "" {
		b = appendMember(b, "datacontenttype", ev.DataContentType)
	}
	if len(ev.Extensions) > 0 {
		b = append(b, `"extensions":`...)
		b = append(b, ev.Extensions...)
		b = append(b, ',')
	}
	b = appendMember(b, "id", ev.ID)
	if ev.KeptnContext != "" {
		b = appendMember(b, "shkeptncontext", ev.KeptnContext)
	}
	b = appendMember(b, "source", ev.Source)
	b = appendMember(b, "specversion", ev.SpecVersion)
	b = append(b, `"time":"`...)
	b = ev.Time.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `",`...)
	if ev.TriggeredID != "" {
		b = appendMember(b, "triggeredid", ev.TriggeredID)
	}
	b = append(b, `"type":`...)
	b = appendJSONString(b, ev.Type)
	return append(b, '}')
}

func appendMember(b []byte, name, value string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = appendJSONString(b, value)
	return append(b, ',')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string the way encoding/json does
// with HTML escaping off: quotes, backslashes and control characters are
// escaped, U+2028 and U+2029 too, and invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
