// Package logstream routes the log messages of Keptn workflows to the clients
// that follow them, as the log websocket of Keptn 0.7 did. Each keptnContext
// is a channel: producers publish sh.keptn.events.log messages to it and
// listeners (the keptn CLI) receive them. Messages published before a
// listener connects are kept, so a listener that connects after the workflow
// ended still receives every line and the final message.
package logstream

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Limits of the kept messages, which bound the memory that producers can
// claim. A channel keeps its newest maxChannelMessages messages. Without a
// listener it is dropped channelTTL after its last message, and at most
// maxChannels channels exist at a time.
const (
	maxChannelMessages = 1000
	channelTTL         = 15 * time.Minute
	maxChannels        = 10000
	sweepInterval      = time.Minute
)

// Hub holds the channels. It is safe for concurrent use.
type Hub struct {
	log *slog.Logger
	now func() time.Time

	mu        sync.Mutex
	channels  map[string]*channel
	lastSweep time.Time
	// dropped counts the channels dropped since lastDropLog.
	dropped     int
	lastDropLog time.Time

	conns connections
}

// channel is the message history of one keptnContext.
type channel struct {
	// messages[i] has the sequence number first+i; the oldest are dropped
	// beyond maxChannelMessages.
	messages  []message
	first     int
	listeners map[*listener]struct{}
	updated   time.Time
}

type message struct {
	raw       []byte
	terminate bool
}

// listener is one connected listener of a channel. notify has room for one
// signal, so a publisher never blocks on a slow listener.
type listener struct {
	next   int
	notify chan struct{}
}

// NewHub returns an empty hub.
func NewHub(log *slog.Logger) *Hub {
	return &Hub{log: log, now: time.Now, channels: map[string]*channel{}}
}

// Publish appends a message to the channel of keptnContext and wakes its
// listeners. raw must be a JSON object; terminate marks the end of the
// workflow.
func (h *Hub) Publish(keptnContext string, raw []byte, terminate bool) {
	h.mu.Lock()
	defer h.mu.Unlock()

	now := h.now()
	h.sweep(now)
	c := h.channel(keptnContext, now)
	c.messages = append(c.messages, message{raw: raw, terminate: terminate})
	if extra := len(c.messages) - maxChannelMessages; extra > 0 {
		c.messages = append(c.messages[:0:0], c.messages[extra:]...)
		c.first += extra
	}
	c.updated = now
	for l := range c.listeners {
		select {
		case l.notify <- struct{}{}:
		default:
		}
	}
}

// channel returns the channel of keptnContext, creating it when needed. The
// caller holds h.mu.
func (h *Hub) channel(keptnContext string, now time.Time) *channel {
	c, ok := h.channels[keptnContext]
	if !ok {
		if len(h.channels) >= maxChannels {
			h.dropOldest()
		}
		c = &channel{listeners: map[*listener]struct{}{}, updated: now}
		h.channels[keptnContext] = c
	}
	return c
}

// subscribe adds a listener that starts at the oldest kept message.
func (h *Hub) subscribe(keptnContext string) *listener {
	h.mu.Lock()
	defer h.mu.Unlock()

	now := h.now()
	h.sweep(now)
	c := h.channel(keptnContext, now)
	l := &listener{next: c.first, notify: make(chan struct{}, 1)}
	c.listeners[l] = struct{}{}
	return l
}

func (h *Hub) unsubscribe(keptnContext string, l *listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.channels[keptnContext]; ok {
		delete(c.listeners, l)
		c.updated = h.now()
	}
}

// pending returns the messages that l has not received yet, up to and
// including the first terminating one, and reports whether that one is among
// them. Messages dropped before l read them are skipped.
func (h *Hub) pending(keptnContext string, l *listener) (raws [][]byte, terminated bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.channels[keptnContext]
	if !ok {
		return nil, false
	}
	l.next = max(l.next, c.first)
	for _, m := range c.messages[l.next-c.first:] {
		l.next++
		raws = append(raws, m.raw)
		if m.terminate {
			return raws, true
		}
	}
	return raws, false
}

// sweep drops the channels without listeners whose last message is older
// than channelTTL, at most once per sweepInterval. The caller holds h.mu.
func (h *Hub) sweep(now time.Time) {
	if now.Sub(h.lastSweep) < sweepInterval {
		return
	}
	h.lastSweep = now
	for id, c := range h.channels {
		if len(c.listeners) == 0 && now.Sub(c.updated) > channelTTL {
			delete(h.channels, id)
		}
	}
}

// dropOldest drops the channel without listeners that changed last longest
// ago. The caller holds h.mu.
func (h *Hub) dropOldest() {
	var oldestID string
	var oldest *channel
	for id, c := range h.channels {
		if len(c.listeners) == 0 && (oldest == nil || c.updated.Before(oldest.updated)) {
			oldestID, oldest = id, c
		}
	}
	if oldest == nil {
		return
	}
	delete(h.channels, oldestID)
	h.dropped++
	// One record per sweepInterval, with the count, keeps a flood of new
	// keptnContexts from flooding the log too.
	if now := h.now(); now.Sub(h.lastDropLog) >= sweepInterval {
		h.lastDropLog = now
		h.log.Warn("dropped the log messages of keptnContexts: too many keptnContexts have messages", "last_keptn_context", oldestID, "dropped", h.dropped, "max", maxChannels)
		h.dropped = 0
	}
}

// Log levels of sh.keptn.events.log messages.
const (
	LevelInfo  = "INFO"
	LevelError = "ERROR"
)

// TypeLog is the event type of log messages.
const TypeLog = "sh.keptn.events.log"

// logData is the data of a log message.
type logData struct {
	Message   string `json:"message"`
	Terminate bool   `json:"terminate"`
	LogLevel  string `json:"loglevel"`
}

// logEvent is a log message in the CloudEvents 0.2 shape of Keptn events.
type logEvent struct {
	SpecVersion  string  `json:"specversion"`
	Type         string  `json:"type"`
	Source       string  `json:"source"`
	ID           string  `json:"id"`
	Time         string  `json:"time"`
	ContentType  string  `json:"contenttype"`
	KeptnContext string  `json:"shkeptncontext"`
	Data         logData `json:"data"`
}

// NewMessage builds a log message of a workflow.
func NewMessage(id, source, keptnContext, level, text string, terminate bool, now time.Time) []byte {
	raw, err := json.Marshal(logEvent{
		SpecVersion:  "0.2",
		Type:         TypeLog,
		Source:       source,
		ID:           id,
		Time:         now.UTC().Format(time.RFC3339Nano),
		ContentType:  "application/json",
		KeptnContext: keptnContext,
		Data:         logData{Message: text, Terminate: terminate, LogLevel: level},
	})
	if err != nil {
		// Every member is a string or a bool, which always marshal.
		panic(err)
	}
	return raw
}
