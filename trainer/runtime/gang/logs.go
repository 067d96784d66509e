package gang

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
)

// maxTailLine is the longest line kept in the in-memory tail; longer lines (a
// progress bar redrawn with \r, a dumped tensor) are cut, since the tail is for
// reading a failure at a glance and the full text is in the file.
const maxTailLine = 2 << 10

// logSink receives one rank's stdout and stderr (one pipe, so the two streams stay in
// the order the rank wrote them, with no tag to tell them apart) and writes them to a
// size-capped file while keeping the last lines in memory.
type logSink struct {
	path string
	max  int64

	mu      sync.Mutex
	f       *os.File
	size    int64
	werr    error // first write or rotation error; later output is dropped from the file
	ring    []string
	next    int  // ring index of the next line
	full    bool // the ring has wrapped
	partial []byte
}

func openLog(path string, maxBytes int64, lines int) (*logSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open rank log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open rank log: %w", err)
	}
	return &logSink{path: path, max: maxBytes, f: f, size: fi.Size(), ring: make([]string, max(lines, 1))}, nil
}

// Write never fails: the rank must not block on a full pipe because the disk did, so a
// file error is kept (see err) and the output still reaches the tail.
func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeFile(p)
	s.addLines(p)
	return len(p), nil
}

// writeFile appends p, rotating whenever the file would pass max so that no file ever
// holds more than max bytes.
func (s *logSink) writeFile(p []byte) {
	for len(p) > 0 && s.werr == nil {
		room := s.max - s.size
		if room <= 0 {
			s.werr = s.rotate()
			continue
		}
		n := int(min(room, int64(len(p))))
		m, err := s.f.Write(p[:n])
		s.size += int64(m)
		if err != nil {
			s.werr = fmt.Errorf("write %s: %w", s.path, err)
		}
		p = p[n:]
	}
}

func (s *logSink) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("rotate %s: %w", s.path, err)
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return fmt.Errorf("rotate %s: %w", s.path, err)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("rotate %s: %w", s.path, err)
	}
	s.f, s.size = f, 0
	return nil
}

func (s *logSink) addLines(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.appendPartial(p)
			return
		}
		s.appendPartial(p[:i])
		s.pushLine()
		p = p[i+1:]
	}
}

func (s *logSink) appendPartial(p []byte) {
	if room := maxTailLine - len(s.partial); room > 0 {
		s.partial = append(s.partial, p[:min(room, len(p))]...)
	}
}

func (s *logSink) pushLine() {
	line := strings.TrimSuffix(string(s.partial), "\r")
	if len(s.partial) >= maxTailLine {
		line += " …(cut)"
	}
	s.partial = s.partial[:0]
	s.ring[s.next] = line
	s.next = (s.next + 1) % len(s.ring)
	if s.next == 0 {
		s.full = true
	}
}

// tail returns the last lines, oldest first, including an unterminated last line.
func (s *logSink) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if s.full {
		out = append(out, s.ring[s.next:]...)
	}
	out = append(out, s.ring[:s.next]...)
	if len(s.partial) > 0 {
		out = append(out, strings.TrimSuffix(string(s.partial), "\r"))
		if len(out) > len(s.ring) {
			out = out[1:]
		}
	}
	return out
}

// close closes the file and returns the first error the sink met.
func (s *logSink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.f.Close(); err != nil && s.werr == nil {
		s.werr = fmt.Errorf("close %s: %w", s.path, err)
	}
	return s.werr
}
