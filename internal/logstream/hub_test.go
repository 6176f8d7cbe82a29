package logstream

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

func newTestHub(now *time.Time) *Hub {
	h := NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)))
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
