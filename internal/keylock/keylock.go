// Package keylock provides mutual exclusion per string key, such as a
// project name, so that work on different keys runs in parallel.
package keylock

import "sync"

// Locks is a set of mutexes, one per key in use. The zero value is ready to
// use. A key's entry exists only while some goroutine holds or waits for it,
// so the set does not grow with the number of keys ever locked.
type Locks struct {
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	mu sync.Mutex
	// users counts the goroutines that hold or wait for mu; it is guarded
	// by Locks.mu.
	users int
}

// Lock blocks until the key is free, locks it and returns the function that
// unlocks it. Call the returned function exactly once.
func (l *Locks) Lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.entries == nil {
		l.entries = map[string]*entry{}
	}
	e := l.entries[key]
	if e == nil {
		e = &entry{}
		l.entries[key] = e
	}
	e.users++
	l.mu.Unlock()

	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.users--
		if e.users == 0 {
			delete(l.entries, key)
		}
		l.mu.Unlock()
	}
}

// Len returns the number of keys that are held or waited for.
func (l *Locks) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
