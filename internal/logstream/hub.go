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
// maxChannels channels exist at a time. Limits.MaxBufferedBytes caps the
// bytes of all kept messages together.
const (
	maxChannelMessages = 1000
	channelTTL         = 15 * time.Minute
	maxChannels        = 10000
	sweepInterval      = time.Minute
)

// Defaults of Limits.
const (
	DefaultMaxBufferedBytes = 64 << 20
	DefaultMaxConnections   = 1000
)

// Limits bound the resources of a hub. A zero field takes its default.
type Limits struct {
	// MaxBufferedBytes caps the bytes of the kept messages of all channels
	// together, each counted with an estimated overhead of 64 bytes. Beyond it the oldest kept messages are dropped first, in
	// the order they were published, even when a listener has not received
	// them yet. A single message larger than the cap is kept alone.
	MaxBufferedBytes int64
	// MaxConnections caps the open websocket connections, listeners and
	// producers together. A connection beyond it gets a JSON 503.
	MaxConnections int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBufferedBytes <= 0 {
		l.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	return l
}

// Hub holds the channels. It is safe for concurrent use.
type Hub struct {
	log    *slog.Logger
	now    func() time.Time
	limits Limits

	mu        sync.Mutex
	channels  map[string]*channel
	lastSweep time.Time
	// dropped counts the channels dropped since lastDropLog.
	dropped     int
	lastDropLog time.Time

	// bytes and kept are the size in bytes (as keptSize counts it) and the
	// number of the kept messages of all channels.
	bytes int64
	kept  int
	// order lists the kept messages in the order they were published, so
	// that the oldest go first when bytes exceeds the cap. It also holds
	// stale entries of messages dropped in other ways, which evict skips
	// and compact removes.
	order []published
	// evicted counts the messages dropped for the byte cap since
	// lastEvictLog.
	evicted      int
	lastEvictLog time.Time

	conns connections
}

// channel is the message history of one keptnContext.
type channel struct {
	id string
	// messages[i] has the sequence number first+i; the oldest are dropped
	// beyond maxChannelMessages.
	messages  []message
	first     int
	bytes     int64
	listeners map[*listener]struct{}
	updated   time.Time
	// removed is set when the channel leaves Hub.channels, which makes its
	// entries in Hub.order stale.
	removed bool
}

// published is an entry of Hub.order: the message with sequence number seq
// of channel c.
type published struct {
	c   *channel
	seq int
}

type message struct {
	raw       []byte
	terminate bool
}

// messageOverhead estimates the bytes that keeping a message costs beyond its
// content: its entries in channel.messages and Hub.order and the allocation
// of raw. Counting it keeps many tiny messages from exceeding the byte cap.
const messageOverhead = 64

// keptSize returns the bytes that a kept message counts against the cap.
func keptSize(raw []byte) int64 {
	return int64(len(raw)) + messageOverhead
}

// listener is one connected listener of a channel. notify has room for one
// signal, so a publisher never blocks on a slow listener.
type listener struct {
	next   int
	notify chan struct{}
}

// NewHub returns an empty hub with the given limits.
func NewHub(log *slog.Logger, limits Limits) *Hub {
	return &Hub{log: log, now: time.Now, limits: limits.withDefaults(), channels: map[string]*channel{}}
}

// Publish appends a message to the channel of keptnContext and wakes its
// listeners. raw must be a JSON object; terminate marks the end of the
// workflow.
func (h *Hub) Publish(keptnContext string, raw []byte, terminate bool) {
	h.mu.Lock()
	defer h.mu.Unlock()

	now := h.now()
	h.sweep(now)
	size := keptSize(raw)
	h.evict(size)
	c := h.channel(keptnContext, now)
	h.order = append(h.order, published{c: c, seq: c.first + len(c.messages)})
	c.messages = append(c.messages, message{raw: raw, terminate: terminate})
	c.bytes += size
	h.bytes += size
	h.kept++
	if extra := len(c.messages) - maxChannelMessages; extra > 0 {
		for _, m := range c.messages[:extra] {
			c.bytes -= keptSize(m.raw)
			h.bytes -= keptSize(m.raw)
		}
		h.kept -= extra
		c.messages = append(c.messages[:0:0], c.messages[extra:]...)
		c.first += extra
	}
	h.compact()
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
		c = &channel{id: keptnContext, listeners: map[*listener]struct{}{}, updated: now}
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
	for _, c := range h.channels {
		if len(c.listeners) == 0 && now.Sub(c.updated) > channelTTL {
			h.remove(c)
		}
	}
}

// remove removes a channel with its messages. The caller holds h.mu.
func (h *Hub) remove(c *channel) {
	delete(h.channels, c.id)
	c.removed = true
	h.bytes -= c.bytes
	h.kept -= len(c.messages)
}

// evict drops the oldest kept messages until size more bytes fit under
// the cap, or until no message is kept. A channel without listeners goes
// with its last message. The caller holds h.mu.
func (h *Hub) evict(size int64) {
	for h.bytes+size > h.limits.MaxBufferedBytes && h.kept > 0 {
		p := h.order[0]
		h.order[0] = published{}
		h.order = h.order[1:]
		if p.c.removed || p.seq < p.c.first {
			continue
		}
		// The entries of a channel are in sequence order and every kept
		// message has one, so this one is the channel's oldest message.
		c := p.c
		c.bytes -= keptSize(c.messages[0].raw)
		h.bytes -= keptSize(c.messages[0].raw)
		h.kept--
		c.messages[0] = message{}
		c.messages = c.messages[1:]
		c.first++
		h.evicted++
		if len(c.messages) == 0 && len(c.listeners) == 0 {
			h.remove(c)
		}
	}
	if now := h.now(); h.evicted > 0 && now.Sub(h.lastEvictLog) >= sweepInterval {
		h.lastEvictLog = now
		h.log.Warn("dropped the oldest log messages: the kept messages reached the byte cap", "dropped", h.evicted, "max_bytes", h.limits.MaxBufferedBytes)
		h.evicted = 0
	}
}

// compact removes the stale entries of h.order once they outnumber the kept
// messages, so that h.order stays proportional to them. The caller holds
// h.mu.
func (h *Hub) compact() {
	if len(h.order) <= 2*h.kept+64 {
		return
	}
	live := make([]published, 0, h.kept)
	for _, p := range h.order {
		if !p.c.removed && p.seq >= p.c.first {
			live = append(live, p)
		}
	}
	h.order = live
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
	h.remove(oldest)
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
