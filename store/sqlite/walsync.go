package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// The writer connection runs with synchronous=NORMAL, so a commit writes
// its frames to the WAL file without syncing it, and readers see the commit
// at once. The writer hands the results of each committed transaction to
// the walSyncer and goes on with the next batch. The syncer syncs the WAL
// file, once for all the transactions committed meanwhile, and only then
// sends each caller its result. A nil result therefore still means that
// the write survives a crash of the process and a power loss, as with
// synchronous=FULL, but the writer does not wait for the disk.
//
// NOTE: readers can see a commit before it is durable. After a power loss
// in that window, an event that a query returned can be missing, although
// no InsertEvent for it returned nil.
//
// SQLite syncs the WAL itself, also with synchronous=NORMAL, before it
// copies frames to the database file in a checkpoint and when it starts to
// reuse the WAL file from its beginning, so the frames a restart overwrites
// are in the synced database file already.
type walSyncer struct {
	file    syncFile // the WAL file, opened for fsync only
	queue   chan syncedResults
	stopped chan struct{}

	// pending counts the transactions delivered whose results have not
	// been sent. idle receives a value when pending drops to 0, and keeps
	// one such value until the writer takes it.
	pending atomic.Int64
	idle    chan struct{}

	// failed is the error of a failed fsync. Every later sync fails with
	// it, because after a failed fsync Linux may drop the pages it could
	// not write and report the next fsync of the file as successful.
	// Only the syncer goroutine uses it.
	failed error
}

// syncFile is the part of *os.File that walSyncer uses.
type syncFile interface {
	Name() string
	Sync() error
	Close() error
}

// syncedResults are the results of one committed transaction.
type syncedResults struct {
	reqs    []*writeReq
	results []error
}

// openWALSyncer opens the WAL file of the database at dbPath, which SQLite
// has created when the writer first opened the database in WAL mode, and
// syncs its directory, so that the file itself survives a power loss.
func openWALSyncer(dbPath string) (*walSyncer, error) {
	walPath := dbPath + "-wal"
	f, err := os.OpenFile(walPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s for syncing: %w", walPath, err)
	}
	if err := syncDir(filepath.Dir(walPath)); err != nil {
		f.Close()
		return nil, err
	}
	s := &walSyncer{
		file:    f,
		queue:   make(chan syncedResults, DefaultMaxBatch),
		stopped: make(chan struct{}),
		idle:    make(chan struct{}, 1),
	}
	go s.run()
	return s, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sqlite: open directory %s for syncing: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sqlite: sync directory %s: %w", dir, err)
	}
	return nil
}

// deliver queues the results of a committed transaction. reqs and results
// must not be changed afterwards. It runs on the writer goroutine.
func (s *walSyncer) deliver(reqs []*writeReq, results []error) {
	// A value left in idle is from an idle time before this transaction.
	select {
	case <-s.idle:
	default:
	}
	s.pending.Add(1)
	s.queue <- syncedResults{reqs: reqs, results: results}
}

// busy reports whether results of a delivered transaction wait for a sync.
func (s *walSyncer) busy() bool {
	return s.pending.Load() > 0
}

func (s *walSyncer) run() {
	defer close(s.stopped)
	var pending []syncedResults
	for first := range s.queue {
		pending = append(pending[:0], first)
		// Every transaction queued by now has written its frames, so one
		// fsync makes all of them durable.
	drain:
		for {
			select {
			case next, ok := <-s.queue:
				if !ok {
					break drain
				}
				pending = append(pending, next)
			default:
				break drain
			}
		}

		err := s.sync()
		for _, p := range pending {
			for i, req := range p.reqs {
				result := p.results[i]
				if result == nil && err != nil {
					result = fmt.Errorf("sqlite: %s: %w", req.describe(), err)
				}
				req.done <- result
			}
		}
		if s.pending.Add(-int64(len(pending))) == 0 {
			select {
			case s.idle <- struct{}{}:
			default:
			}
		}
		clear(pending)
	}
}

func (s *walSyncer) sync() error {
	if s.failed != nil {
		return s.failed
	}
	if err := s.file.Sync(); err != nil {
		s.failed = fmt.Errorf("sync WAL file %s: %w", s.file.Name(), err)
		return s.failed
	}
	return nil
}

// close sends the results still queued, after a last sync, and closes the
// file. The writer goroutine must have stopped.
func (s *walSyncer) close() error {
	close(s.queue)
	<-s.stopped
	return errors.Join(s.failed, s.file.Close())
}
