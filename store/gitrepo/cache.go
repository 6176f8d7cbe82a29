package gitrepo

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// objectCache keeps decoded objects (*commitInfo, *treeObject, blob []byte)
// by repository generation and hash, and evicts the least recently used
// when over budget. Git objects never change, so an entry is valid for as
// long as its repository exists. Cached values are shared between
// goroutines and must not be modified.
//
// The cache is split into shards by hash to keep concurrent readers from
// queueing on one mutex.
type objectCache struct {
	shards [cacheShards]cacheShard
}

const cacheShards = 16

type cacheKey struct {
	gen  uint64
	hash plumbing.Hash
}

// cacheEntry is a node of a shard's LRU list.
type cacheEntry struct {
	key        cacheKey
	value      any
	cost       int64
	prev, next *cacheEntry
}

type cacheShard struct {
	mu     sync.Mutex
	budget int64
	used   int64
	items  map[cacheKey]*cacheEntry
	// head is the sentinel of a circular list, most recently used first.
	head cacheEntry
}

func newObjectCache(maxBytes int64) *objectCache {
	c := &objectCache{}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.budget = maxBytes / cacheShards
		sh.items = make(map[cacheKey]*cacheEntry)
		sh.head.prev, sh.head.next = &sh.head, &sh.head
	}
	return c
}

func (c *objectCache) shard(k cacheKey) *cacheShard {
	return &c.shards[k.hash[0]%cacheShards]
}

func (sh *cacheShard) unlink(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (sh *cacheShard) pushFront(e *cacheEntry) {
	e.prev = &sh.head
	e.next = sh.head.next
	sh.head.next.prev = e
	sh.head.next = e
}

func (c *objectCache) get(gen uint64, h plumbing.Hash) (any, bool) {
	k := cacheKey{gen, h}
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.items[k]
	if !ok {
		return nil, false
	}
	sh.unlink(e)
	sh.pushFront(e)
	return e.value, true
}

// put stores value with an estimated cost in bytes. A value larger than a
// shard's budget is not kept.
func (c *objectCache) put(gen uint64, h plumbing.Hash, value any, cost int64) {
	k := cacheKey{gen, h}
	sh := c.shard(k)
	if cost > sh.budget {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.items[k]; ok {
		return
	}
	for sh.used+cost > sh.budget {
		last := sh.head.prev
		sh.unlink(last)
		delete(sh.items, last.key)
		sh.used -= last.cost
	}
	e := &cacheEntry{key: k, value: value, cost: cost}
	sh.items[k] = e
	sh.pushFront(e)
	sh.used += cost
}
