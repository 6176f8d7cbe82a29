package keylock

import (
	"sync"
	"testing"
	"time"
)

func TestLockExcludesSameKey(t *testing.T) {
	var locks Locks
	var wg sync.WaitGroup
	inside := 0
	for range 50 {
		wg.Go(func() {
			unlock := locks.Lock("p")
			defer unlock()
			inside++
			if inside != 1 {
				t.Errorf("%d goroutines hold the same key", inside)
			}
			time.Sleep(100 * time.Microsecond)
			inside--
		})
	}
	wg.Wait()
	if n := locks.Len(); n != 0 {
		t.Errorf("%d keys remain after every unlock, want 0", n)
	}
}

func TestLockOtherKeyRuns(t *testing.T) {
	var locks Locks
	unlock := locks.Lock("a")
	defer unlock()

	done := make(chan struct{})
	go func() {
		locks.Lock("b")()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("locking key b waited for key a")
	}
}
