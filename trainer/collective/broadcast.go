package collective

import "fmt"

// maxBroadcastBytes bounds what a non-root allocates on the strength of a
// header, so a corrupt length fails cleanly instead of exhausting memory.
const maxBroadcastBytes = 1 << 34

// Broadcast is a pipelined chain along the ring: root → root+1 → … → root−1.
// Each rank forwards a chunk to its successor while the next chunk arrives,
// so large broadcasts run at link speed whatever W is.

// Broadcast copies root's buf into buf on every other rank. Every rank must
// pass the same length and root.
func (c *Comm) Broadcast(buf []float32, root int) error {
	_, err := c.broadcast(opBroadcast, floatBytes(buf), int64(len(buf)), root)
	return err
}

// BroadcastBytes sends root's data to every rank and returns it. Only root's
// length matters: other ranks receive into data if it has the capacity, else
// into a new slice. Use it for serialised parameters or optimizer state.
func (c *Comm) BroadcastBytes(data []byte, root int) ([]byte, error) {
	return c.broadcast(opBroadcastBytes, data, -1, root)
}

// broadcast runs either flavour; count < 0 means the length comes from root.
func (c *Comm) broadcast(op opCode, buf []byte, count int64, root int) ([]byte, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	s, err := c.begin(op)
	if err != nil {
		return nil, err
	}
	if root < 0 || root >= c.world {
		s.fail(-1, fmt.Errorf("root %d outside world of %d", root, c.world), ErrInvalidArgument)
		return nil, c.Err()
	}
	if c.world == 1 {
		return buf, nil
	}
	pos := (c.rank - root + c.world) % c.world
	if pos == 0 {
		n := uint64(count)
		if count < 0 {
			n = uint64(len(buf))
		}
		if s.writeHeader(header{Op: op, Root: root, Seq: s.seq, Count: n}) && len(buf) > 0 {
			s.write(buf)
		}
		return buf, s.result()
	}
	h, ok := s.readHeader(root, count)
	if !ok {
		return nil, c.Err()
	}
	if count < 0 {
		if h.Count > maxBroadcastBytes {
			s.fail(c.prevRank(), fmt.Errorf("announced %d bytes, more than the %d limit", h.Count, uint64(maxBroadcastBytes)), ErrPeer)
			return nil, c.Err()
		}
		buf = resize(buf, h.Count)
	}
	if pos == c.world-1 { // end of the chain: receive only
		if len(buf) > 0 {
			s.read(buf)
		}
		return buf, s.result()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.forwardChain(h, buf)
	}()
	per := c.chunkBytes(len(buf))
	for lo := 0; lo < len(buf); lo += per {
		if c.hookChunk != nil {
			c.hookChunk(op, 0, lo/per)
		}
		if !s.read(buf[lo:min(lo+per, len(buf))]) {
			break
		}
		c.recvd.add(1)
	}
	<-writerDone
	return buf, s.result()
}

// forwardChain is the writer goroutine of a middle rank of the chain.
func (s *opState) forwardChain(h header, buf []byte) {
	c := s.c
	if !s.writeHeader(h) {
		return
	}
	per := c.chunkBytes(len(buf))
	n := chunkCount(len(buf), per)
	for done := 0; done < n; {
		if !c.recvd.wait(int64(done)+1, s.abort) {
			return
		}
		upto := int(c.recvd.n.Load())
		if !s.write(buf[done*per : min(upto*per, len(buf))]) {
			return
		}
		done = upto
	}
}

// resize returns a slice of length n, reusing b's storage when it can.
func resize(b []byte, n uint64) []byte {
	if uint64(cap(b)) >= n {
		return b[:n]
	}
	return make([]byte, n)
}
