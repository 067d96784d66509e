package dicom

import (
	"path/filepath"
	"sync"
)

// readAhead reads files on a pool of goroutines and hands the results back
// in the order of the list. Parsing dominates a read and files are
// independent, so the pool scales it over the cores; the order stays the
// list's so that what a caller builds from the files (shards, a hash of
// hashes, the first error) does not depend on scheduling.
//
// Memory stays bounded: a file is started only while fewer than window
// files are started and not yet taken by next, so at most window parsed
// files wait, however slow the consumer or large the tree.
type readAhead struct {
	results []chan fileResult // ring of window slots, one per file in flight
	pos     int               // index of the file next returns
	tokens  chan struct{}     // a token per file started and not yet taken
	done    chan struct{}     // closed by stop
	wg      sync.WaitGroup
}

// fileResult is one file read: the instance, its size, or the error.
type fileResult struct {
	inst *Instance
	n    int64
	err  error
}

// readAhead starts reading files (relative to root) on workers goroutines.
// The caller takes every result with next, in order, or stops early with
// stop; stop must be called either way.
func (s *settings) readAhead(root string, files []string, workers int) *readAhead {
	workers = max(1, workers)
	window := 2 * workers
	ra := &readAhead{
		results: make([]chan fileResult, window),
		tokens:  make(chan struct{}, window),
		done:    make(chan struct{}),
	}
	for i := range ra.results {
		ra.results[i] = make(chan fileResult, 1)
	}
	jobs := make(chan int)
	ra.wg.Add(1)
	go func() {
		defer ra.wg.Done()
		defer close(jobs)
		for i := range files {
			select {
			case ra.tokens <- struct{}{}:
			case <-ra.done:
				return
			}
			select {
			case jobs <- i:
			case <-ra.done:
				return
			}
		}
	}()
	for range workers {
		ra.wg.Add(1)
		go func() {
			defer ra.wg.Done()
			for i := range jobs {
				rel := files[i]
				inst, n, err := s.readFile(filepath.Join(root, filepath.FromSlash(rel)), rel)
				// The slot is free: file i-window was taken before file i
				// got its token, and the buffer of one never blocks.
				ra.results[i%window] <- fileResult{inst, n, err}
			}
		}()
	}
	return ra
}

// next waits for the next file's result in list order.
func (ra *readAhead) next() fileResult {
	r := <-ra.results[ra.pos%len(ra.results)]
	ra.pos++
	<-ra.tokens
	return r
}

// stop abandons the files not taken and waits for the goroutines, so that
// no file is opened after ReadDir returns.
func (ra *readAhead) stop() {
	close(ra.done)
	ra.wg.Wait()
}
