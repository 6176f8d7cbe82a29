package configsvc

import (
	"context"
	"strings"
	"sync"
)

// knownServices is the set of services in the view, kept in memory so that
// the event subscriber can skip events of unknown services without a store
// call. Every event passes the subscriber, and most belong to no service the
// view holds (project events, or services of a Keptn installation that
// only sends events here).
//
// Every structural change goes through Service, which updates the set after
// the view changed; the set is loaded from the view on first use.
type knownServices struct {
	mu     sync.RWMutex
	keys   map[string]struct{}
	loaded bool
}

func serviceKey(project, stage, service string) string {
	return project + "\x00" + stage + "\x00" + service
}

// load reads the set from the view once. A failed load is retried on the
// next call.
func (k *knownServices) load(ctx context.Context, s *Service) error {
	k.mu.RLock()
	loaded := k.loaded
	k.mu.RUnlock()
	if loaded {
		return nil
	}

	projects, err := s.view.ListProjects(ctx)
	if err != nil {
		return err
	}
	keys := map[string]struct{}{}
	for _, p := range projects {
		for _, st := range p.Stages {
			for _, svc := range st.Services {
				keys[serviceKey(p.Name, st.Name, svc.Name)] = struct{}{}
			}
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.loaded {
		k.keys, k.loaded = keys, true
	}
	return nil
}

// contains reports whether the service may exist. Before the set is loaded it
// reports true, so that nothing is skipped by mistake.
func (k *knownServices) contains(project, stage, service string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if !k.loaded {
		return true
	}
	_, ok := k.keys[serviceKey(project, stage, service)]
	return ok
}

func (k *knownServices) add(project, stage, service string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loaded {
		k.keys[serviceKey(project, stage, service)] = struct{}{}
	}
}

// removePrefix removes the services of a project, or of one stage when stage
// is not "".
func (k *knownServices) removePrefix(project, stage string) {
	prefix := project + "\x00"
	if stage != "" {
		prefix += stage + "\x00"
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for key := range k.keys {
		if strings.HasPrefix(key, prefix) {
			delete(k.keys, key)
		}
	}
}

func (k *knownServices) remove(project, stage, service string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, serviceKey(project, stage, service))
}
