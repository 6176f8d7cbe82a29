package logstream

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

func newTestHub(now *time.Time) *Hub {
	return newTestHubWith(now, Limits{})
}

func newTestHubWith(now *time.Time, limits Limits) *Hub {
	h := NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)), limits)
	h.now = func() time.Time { return *now }
	return h
}

func TestHubKeepsNewestMessages(t *testing.T) {
	now := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	h := newTestHub(&now)
	for i := range maxChannelMessages + 5 {
		h.Publish("ctx", []byte(fmt.Sprint(i)), false)
	}
	h.Publish("ctx", []byte("end"), true)
	h.Publish("ctx", []byte("after the end"), false)

	l := h.subscribe("ctx")
	raws, terminated := h.pending("ctx", l)
	if !terminated {
		t.Error("terminated = false, want true")
	}
	if len(raws) != maxChannelMessages-1 {
		t.Fatalf("received %d messages, want %d", len(raws), maxChannelMessages-1)
	}
	if first, last := string(raws[0]), string(raws[len(raws)-1]); first != "7" || last != "end" {
		t.Errorf("messages run from %q to %q, want from 7 to end", first, last)
	}
	if raws, _ := h.pending("ctx", l); len(raws) != 1 || string(raws[0]) != "after the end" {
		t.Errorf("next pending = %q, want the message after the end", raws)
	}
}

func TestHubDropsIdleChannels(t *testing.T) {
	now := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	h := newTestHub(&now)
	h.Publish("idle", []byte("a"), true)
	h.Publish("followed", []byte("b"), false)
	l := h.subscribe("followed")

	now = now.Add(channelTTL + sweepInterval)
	h.Publish("new", []byte("c"), false)

	if _, ok := h.channels["idle"]; ok {
		t.Error("the idle channel is kept after its TTL")
	}
	if _, ok := h.channels["followed"]; !ok {
		t.Error("the channel with a listener was dropped")
	}
	h.unsubscribe("followed", l)
	if got := len(h.channels); got != 2 {
		t.Errorf("%d channels, want 2", got)
	}
}

func TestHubLimitsChannels(t *testing.T) {
	now := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	h := newTestHub(&now)
	for i := range maxChannels + 1 {
		now = now.Add(time.Millisecond)
		h.Publish(fmt.Sprint("ctx-", i), []byte("x"), false)
	}
	if got := len(h.channels); got != maxChannels {
		t.Errorf("%d channels, want %d", got, maxChannels)
	}
	if _, ok := h.channels["ctx-0"]; ok {
		t.Error("the oldest channel is kept")
	}
}

// checkAccounting checks the byte and message counts of a hub against its
// channels, and that its publication order stays proportional to them.
func checkAccounting(t *testing.T, h *Hub) {
	t.Helper()
	var bytes int64
	kept := 0
	for _, c := range h.channels {
		for _, m := range c.messages {
			bytes += keptSize(m.raw)
		}
		kept += len(c.messages)
	}
	if h.bytes != bytes {
		t.Errorf("hub counts %d bytes, its channels keep %d", h.bytes, bytes)
	}
	if h.kept != kept {
		t.Errorf("hub counts %d messages, its channels keep %d", h.kept, kept)
	}
	if len(h.order) > 2*kept+64 {
		t.Errorf("publication order has %d entries for %d kept messages", len(h.order), kept)
	}
}

func TestHubByteCapDropsOldest(t *testing.T) {
	now := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	// Messages of 10 bytes, of which ten fit.
	const messageSize = 10 + messageOverhead
	h := newTestHubWith(&now, Limits{MaxBufferedBytes: 10 * messageSize})
	followed := h.subscribe("followed")
	for i := range 10 {
		h.Publish("idle", fmt.Appendf(nil, "idle-%05d", i), false)
		h.Publish("followed", fmt.Appendf(nil, "foll-%05d", i), false)
	}
	checkAccounting(t, h)
	if h.bytes != 10*messageSize {
		t.Errorf("kept %d bytes, want %d", h.bytes, 10*messageSize)
	}

	// The newest five messages of each channel remain.
	raws, _ := h.pending("followed", followed)
	if len(raws) != 5 || string(raws[0]) != "foll-00005" {
		t.Errorf("listener received %q, want foll-00005 to foll-00009", raws)
	}
	idle := h.subscribe("idle")
	raws, _ = h.pending("idle", idle)
	if len(raws) != 5 || string(raws[0]) != "idle-00005" {
		t.Errorf("late listener received %q, want idle-00005 to idle-00009", raws)
	}
	h.unsubscribe("idle", idle)

	// A message as large as the cap leaves only itself, and the channel
	// that lost every message and has no listener is gone.
	h.Publish("big", make([]byte, 10*messageSize-messageOverhead), true)
	checkAccounting(t, h)
	if h.bytes != 10*messageSize || h.kept != 1 {
		t.Errorf("kept %d messages of %d bytes, want the one of %d bytes", h.kept, h.bytes, 10*messageSize)
	}
	if _, ok := h.channels["idle"]; ok {
		t.Error("the emptied channel without listener is kept")
	}
	if _, ok := h.channels["followed"]; !ok {
		t.Error("the emptied channel with a listener was dropped")
	}
}

func TestHubAccountingAfterDrops(t *testing.T) {
	now := time.Date(2020, 11, 16, 9, 0, 0, 0, time.UTC)
	h := newTestHubWith(&now, Limits{MaxBufferedBytes: 1 << 20})
	// Per-channel trimming, the channel cap and the TTL each drop
	// messages outside the byte cap; the counts and the order follow.
	for i := range 3 * maxChannelMessages {
		h.Publish("long", fmt.Append(nil, i), false)
	}
	checkAccounting(t, h)
	for i := range maxChannels + 10 {
		now = now.Add(time.Millisecond)
		h.Publish(fmt.Sprint("ctx-", i), []byte("x"), false)
	}
	checkAccounting(t, h)
	now = now.Add(channelTTL + sweepInterval)
	h.Publish("new", []byte("y"), false)
	checkAccounting(t, h)
	if h.kept != 1 {
		t.Errorf("%d messages kept after the TTL, want 1", h.kept)
	}
}
