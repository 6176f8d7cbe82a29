package sqlite

import (
	"container/list"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/keptn-api/keptn-api/store"
)

// Keptn clients poll: the CLI and the bridge repeat the same datastore query
// until the events they wait for arrive. resultCache keeps the pages of
// recent queries in memory, so that a repeated query whose events have not
// changed costs a map lookup instead of a read of the database.
//
// Invalidation is exact in one direction only: an entry may be dropped when
// its result has not changed, never kept when it has. Each entry depends on
// one scope of writes, and each scope has a generation counter:
//   - a query with a Project depends on the writes to that project;
//   - a query of a keptnContext alone depends on the writes of events with
//     that keptnContext. Only those can change its result or map it to a
//     project;
//   - such a query that excludes invalidated events depends on every write,
//     because an invalidating event may have another keptnContext;
//   - any other query reads the events without a project, and depends on
//     those writes.
//
// Counters live in a fixed array indexed by a hash of the scope, so that
// their memory stays bounded. Two scopes that share a slot invalidate each
// other's entries, which costs a query but never returns a stale page.
//
// The writer bumps the counters after a commit and before it acknowledges
// the writes, so a client that reads after its write was acknowledged never
// gets a page cached before it. A query reads the counters of its scope
// before it reads the database, and stores its page with those values: when
// a write commits in between, the page is stale on arrival.
//
// NOTE: only writes through this Store bump the counters. Another process
// that writes to the same database file would leave stale pages here, so
// one file must have one writing process (cmd/keptn-api locks its data
// directory).
type resultCache struct {
	maxBytes int64
	seed     maphash.Seed

	gens [genSlots]atomic.Uint64
	// epoch invalidates every entry at once. Deleting a project's events
	// bumps it, because that also changes the mappings of its contexts.
	epoch atomic.Uint64

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     list.List // of *cachedPage, most recently used first
	bytes   int64
}

// genSlots is the number of generation counters. At 8 bytes each they take
// 32 KiB.
const genSlots = 4096

// everyWrite is the scope bumped by every insert, for queries that no
// narrower scope covers.
const everyWrite = "*"

type cachedPage struct {
	key   string
	page  store.EventPage
	size  int64
	slot  uint32
	gen   uint64
	epoch uint64
}

// cacheTicket is the key and the generations that a query takes from the
// cache before it reads the database, and stores its page with.
type cacheTicket struct {
	key   string
	slot  uint32
	gen   uint64
	epoch uint64
}

// newResultCache returns a cache bounded to about maxBytes of events, or
// nil when maxBytes is not positive. A nil cache caches nothing.
func newResultCache(maxBytes int64) *resultCache {
	if maxBytes <= 0 {
		return nil
	}
	return &resultCache{
		maxBytes: maxBytes,
		seed:     maphash.MakeSeed(),
		entries:  make(map[string]*list.Element),
	}
}

// lookup returns the cached page of q, if one is valid, and otherwise the
// ticket under which the caller stores the page it reads.
func (c *resultCache) lookup(q store.EventQuery) (store.EventPage, cacheTicket, bool) {
	if c == nil {
		return store.EventPage{}, cacheTicket{}, false
	}
	t := cacheTicket{key: queryKey(q), slot: c.slotOf(queryScope(q))}
	// The epoch is read first: a delete that runs between the two loads
	// bumps the epoch after its commit, so the ticket carries the old epoch
	// and its page is never served.
	t.epoch = c.epoch.Load()
	t.gen = c.gens[t.slot].Load()

	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[t.key]
	if !ok {
		return store.EventPage{}, t, false
	}
	entry := elem.Value.(*cachedPage)
	if entry.gen != t.gen || entry.epoch != t.epoch {
		c.removeLocked(elem)
		return store.EventPage{}, t, false
	}
	c.lru.MoveToFront(elem)
	return copyPage(entry.page), t, true
}

// store keeps page under t, unless a write has made it stale already or it
// is larger than a quarter of the cache.
func (c *resultCache) store(t cacheTicket, page store.EventPage) {
	if c == nil {
		return
	}
	size := pageSize(page)
	if size > c.maxBytes/4 {
		return
	}
	if c.gens[t.slot].Load() != t.gen || c.epoch.Load() != t.epoch {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[t.key]; ok {
		c.removeLocked(old)
	}
	entry := &cachedPage{key: t.key, page: copyPage(page), size: size, slot: t.slot, gen: t.gen, epoch: t.epoch}
	c.entries[t.key] = c.lru.PushFront(entry)
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.removeLocked(c.lru.Back())
	}
}

func (c *resultCache) removeLocked(elem *list.Element) {
	entry := c.lru.Remove(elem).(*cachedPage)
	delete(c.entries, entry.key)
	c.bytes -= entry.size
}

// inserted invalidates the pages that an inserted event can change.
func (c *resultCache) inserted(ev *store.Event) {
	if c == nil {
		return
	}
	c.gens[c.slotOf(projectScope(ev.Project))].Add(1)
	c.gens[c.slotOf(contextScope(ev.KeptnContext))].Add(1)
	c.gens[c.slotOf(everyWrite)].Add(1)
}

// invalidateAll invalidates every page, after a write whose effect the
// scopes do not describe.
func (c *resultCache) invalidateAll() {
	if c == nil {
		return
	}
	c.epoch.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.lru.Init()
	c.bytes = 0
}

func (c *resultCache) slotOf(scope string) uint32 {
	return uint32(maphash.String(c.seed, scope) % genSlots)
}

// queryScope returns the scope of writes that can change the result of q.
func queryScope(q store.EventQuery) string {
	switch {
	case q.Project != "":
		return projectScope(q.Project)
	case q.KeptnContext != "" && q.ExcludeInvalidatedBy != "":
		return everyWrite
	case q.KeptnContext != "":
		return contextScope(q.KeptnContext)
	default:
		return projectScope("")
	}
}

func projectScope(project string) string      { return "p:" + project }
func contextScope(keptnContext string) string { return "c:" + keptnContext }

// queryKey encodes every field of q that the result depends on. Strings are
// length-prefixed, so that no two queries share a key.
func queryKey(q store.EventQuery) string {
	b := make([]byte, 0, 128)
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	num := func(n int64) {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ';')
	}
	str(q.Project)
	str(q.KeptnContext)
	flags := int64(0)
	if q.Root {
		flags |= 1
	}
	if q.CountTotal {
		flags |= 2
	}
	num(flags)
	num(int64(len(q.Conditions)))
	for _, cond := range q.Conditions {
		str(cond.Field)
		num(int64(len(cond.Values)))
		for _, v := range cond.Values {
			str(v)
		}
	}
	if q.After.IsZero() {
		num(0)
	} else {
		// Seconds and nanoseconds name the instant exactly, also for times
		// that int64 nanoseconds cannot hold.
		num(1)
		num(q.After.Unix())
		num(int64(q.After.Nanosecond()))
	}
	str(q.ExcludeInvalidatedBy)
	num(int64(q.Offset))
	num(int64(q.Limit))
	return string(b)
}

// copyPage returns page with its own slice of events, so that a caller that
// reorders or replaces events does not change the cached page. The events
// share their Data and Extensions bytes, which callers must not modify.
func copyPage(page store.EventPage) store.EventPage {
	page.Events = append(make([]store.Event, 0, len(page.Events)), page.Events...)
	return page
}

// pageSize estimates the memory a page holds, in bytes.
func pageSize(page store.EventPage) int64 {
	const perEvent = 256 // the Event struct and its time zone
	size := int64(64)
	for i := range page.Events {
		ev := &page.Events[i]
		size += perEvent + int64(len(ev.ID)+len(ev.Type)+len(ev.Source)+len(ev.SpecVersion)+
			len(ev.ContentType)+len(ev.DataContentType)+len(ev.KeptnContext)+len(ev.TriggeredID)+
			len(ev.Data)+len(ev.Extensions)+len(ev.Project)+len(ev.Stage)+len(ev.Service))
	}
	return size
}
