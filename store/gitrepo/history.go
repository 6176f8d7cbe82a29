package gitrepo

import (
	"container/heap"
	"errors"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// ancestorSlack is the margin of committer time that a walk searches below
// the commit it looks for before it gives up. It absorbs clocks that went
// backwards between commits.
const ancestorSlack = 24 * time.Hour

// isAncestor reports whether ancestor is reachable from tip (or is tip). It
// runs under the project lock.
//
// The walk stops below ancestor's committer time minus ancestorSlack, so
// that a miss does not read the whole history. A false result is therefore
// possible when clocks went back further than that. Callers treat false as
// "not a fast-forward" and fetch, which is slower but still correct.
func (r *repo) isAncestor(ancestor, tip plumbing.Hash) (bool, error) {
	if ancestor == tip {
		return true, nil
	}
	a, err := r.commit(locked, ancestor)
	if errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, errObjectType) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cutoff := a.when.Add(-ancestorSlack)

	seen := map[plumbing.Hash]bool{tip: true}
	queue := []plumbing.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		c, err := r.commit(locked, h)
		if err != nil {
			return false, err
		}
		for _, p := range c.parents {
			if p == ancestor {
				return true, nil
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := r.commit(locked, p)
			if err != nil {
				return false, err
			}
			if !pc.when.Before(cutoff) {
				queue = append(queue, p)
			}
		}
	}
	return false, nil
}

// objectsToSend returns the objects a remote that has the commits in haves
// needs to also have the commits in tips.
//
// It walks commits newest first from tips and haves together, as git's
// rev-list does, and stops once only commits reachable from haves remain
// queued. Haves that are not commits of the local repository are skipped. For each
// commit left it sends the commit and the blobs and trees that differ from
// its first parent, descending only into subtrees whose hash changed. A
// commit's parent is either sent too or reachable from haves, so the remote
// ends up with every object. A clock skew can make the walk send commits the
// remote already has, which costs bandwidth but is never wrong.
func (r *repo) objectsToSend(tips, haves []plumbing.Hash) ([]plumbing.Hash, error) {
	const (
		flagSeen = 1 << iota
		flagHave
	)
	flags := make(map[plumbing.Hash]uint8)
	q := &commitQueue{}
	unreached := 0 // queued commits without flagHave

	enqueue := func(h plumbing.Hash, have bool) error {
		f, seen := flags[h]
		if seen {
			if have && f&flagHave == 0 {
				flags[h] = f | flagHave
			}
			return nil
		}
		c, err := r.commit(locked, h)
		if err != nil {
			// A remote ref may name a commit this repository lacks or an
			// annotated tag, which the walk does not need.
			if have && (errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, errObjectType)) {
				return nil
			}
			return err
		}
		f = flagSeen
		if have {
			f |= flagHave
		}
		flags[h] = f
		heap.Push(q, queuedCommit{hash: h, when: c.when})
		return nil
	}

	for _, h := range haves {
		if err := enqueue(h, true); err != nil {
			return nil, err
		}
	}
	for _, h := range tips {
		if err := enqueue(h, false); err != nil {
			return nil, err
		}
	}
	countUnreached := func() int {
		n := 0
		for _, item := range q.items {
			if flags[item.hash]&flagHave == 0 {
				n++
			}
		}
		return n
	}
	unreached = countUnreached()

	var send []plumbing.Hash
	for q.Len() > 0 && unreached > 0 {
		item := heap.Pop(q).(queuedCommit)
		have := flags[item.hash]&flagHave != 0
		c, err := r.commit(locked, item.hash)
		if err != nil {
			return nil, err
		}
		if !have {
			send = append(send, item.hash)
		}
		for _, p := range c.parents {
			if err := enqueue(p, have); err != nil {
				return nil, err
			}
		}
		unreached = countUnreached()
	}

	objects := make(map[plumbing.Hash]bool)
	var result []plumbing.Hash
	add := func(h plumbing.Hash) {
		if !objects[h] {
			objects[h] = true
			result = append(result, h)
		}
	}
	for _, h := range send {
		if flags[h]&flagHave != 0 {
			continue // reached from haves after it was taken
		}
		c, err := r.commit(locked, h)
		if err != nil {
			return nil, err
		}
		add(h)
		var base plumbing.Hash
		if len(c.parents) > 0 {
			pc, err := r.commit(locked, c.parents[0])
			if err != nil {
				return nil, err
			}
			base = pc.tree
		}
		if err := r.treeDiffObjects(c.tree, base, add); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// treeDiffObjects calls add for tree and every object below it that is not
// at the same path with the same hash in base (zero for none).
func (r *repo) treeDiffObjects(tree, base plumbing.Hash, add func(plumbing.Hash)) error {
	if tree == base {
		return nil
	}
	add(tree)
	t, err := r.tree(locked, tree)
	if err != nil {
		return err
	}
	var b *treeObject
	if !base.IsZero() {
		if b, err = r.tree(locked, base); err != nil {
			return err
		}
	}
	for _, e := range t.entries {
		var old treeEntry
		var found bool
		if b != nil {
			old, found = b.find(e.name)
		}
		if found && old.hash == e.hash {
			continue
		}
		switch {
		case e.isDir():
			var oldTree plumbing.Hash
			if found && old.isDir() {
				oldTree = old.hash
			}
			if err := r.treeDiffObjects(e.hash, oldTree, add); err != nil {
				return err
			}
		case e.isFile():
			add(e.hash)
		}
	}
	return nil
}

type queuedCommit struct {
	hash plumbing.Hash
	when time.Time
}

// commitQueue is a max-heap of commits by committer time.
type commitQueue struct{ items []queuedCommit }

func (q *commitQueue) Len() int           { return len(q.items) }
func (q *commitQueue) Less(i, j int) bool { return q.items[i].when.After(q.items[j].when) }
func (q *commitQueue) Swap(i, j int)      { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *commitQueue) Push(x any)         { q.items = append(q.items, x.(queuedCommit)) }
func (q *commitQueue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return last
}
