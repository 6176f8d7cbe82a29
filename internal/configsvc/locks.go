package configsvc

import "sync"

// projectLocks serialises the structural changes of one project (creating
// and deleting projects, stages and services), whose check and rollback
// steps span both stores. Changes to different projects run in parallel.
type projectLocks struct {
	mu    sync.Mutex
	locks map[string]*projectLock
}

type projectLock struct {
	mu    sync.Mutex
	users int
}

// lock locks a project and returns its unlock function.
func (l *projectLocks) lock(project string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*projectLock{}
	}
	pl := l.locks[project]
	if pl == nil {
		pl = &projectLock{}
		l.locks[project] = pl
	}
	pl.users++
	l.mu.Unlock()

	pl.mu.Lock()
	return func() {
		pl.mu.Unlock()
		l.mu.Lock()
		pl.users--
		if pl.users == 0 {
			delete(l.locks, project)
		}
		l.mu.Unlock()
	}
}
