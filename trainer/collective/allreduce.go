package collective

// Ring all-reduce over W ranks. The vector is cut into W segments; segment j
// is [j·n/W, (j+1)·n/W) and rank j owns it. The ring runs 2(W−1) steps:
//
//	reduce-scatter step s (0 ≤ s < W−1): send segment r−1−s, receive segment
//	r−2−s and add the incoming partial sum to the local values;
//	all-gather step s: send segment r−s, receive segment r−1−s and copy it.
//
// (indices mod W). So the partial sum of segment j starts at rank j+1 and
// travels j+1 → j+2 → … → j, which completes it, and every element of
// segment j ends up as
//
//	(((x[j+1] + x[j+2]) + x[j+3]) + … ) + x[j]
//
// the left fold over ranks j+1, j+2, …, j. The all-gather copies the owner's
// bits to every rank, so all ranks hold identical bits, and the order depends
// only on W and n, so runs repeat bit for bit. AllReduceMean divides the
// owner's finished sum by W once, before the all-gather.
//
// Pipelining: the segment received in step g is the one sent in step g+1, so
// the receiver posts each finished chunk to a writer goroutine, which forwards
// it while the next chunk arrives. Step 0 is sent whole at once.

// AllReduceSum replaces buf on every rank with the element-wise sum of all
// ranks' buf, in the fixed order documented above. Every rank must pass the
// same length. A 1-rank world returns at once.
func (c *Comm) AllReduceSum(buf []float32) error { return c.allReduce(opAllReduceSum, buf) }

// AllReduceMean is AllReduceSum followed by a division by the world size
// (performed once, by the segment's owner, so it too is bit-identical).
func (c *Comm) AllReduceMean(buf []float32) error { return c.allReduce(opAllReduceMean, buf) }

func (c *Comm) allReduce(op opCode, buf []float32) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	s, err := c.begin(op)
	if err != nil || c.world == 1 {
		return err
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.sendAllReduce(buf)
	}()
	s.recvAllReduce(buf)
	<-writerDone
	return s.result()
}

// segBounds returns segment j of an n-element vector cut into w segments.
func segBounds(n, w, j int) (lo, hi int) {
	return int(int64(j) * int64(n) / int64(w)), int(int64(j+1) * int64(n) / int64(w))
}

func (s *opState) segment(buf []float32, j int) []float32 {
	w := s.c.world
	lo, hi := segBounds(len(buf), w, ((j%w)+w)%w)
	return buf[lo:hi]
}

func chunkCount(n, per int) int { return (n + per - 1) / per }

// sendSeg is the segment sent at global step g (reduce-scatter then all-gather).
func (s *opState) sendSeg(g int) int {
	r, w := s.c.rank, s.c.world
	if g < w-1 {
		return r - 1 - g
	}
	return r - (g - (w - 1))
}

// recvSeg is the segment received at global step g.
func (s *opState) recvSeg(g int) int {
	r, w := s.c.rank, s.c.world
	if g < w-1 {
		return r - 2 - g
	}
	return r - 1 - (g - (w - 1))
}

// sendAllReduce is the writer goroutine: header, then each step's segment,
// forwarding chunks as soon as the receiver has finished them.
func (s *opState) sendAllReduce(buf []float32) {
	c := s.c
	if !s.writeHeader(header{Op: s.op, Seq: s.seq, Count: uint64(len(buf))}) {
		return
	}
	per := c.cfg.ChunkBytes / 4
	steps := 2 * (c.world - 1)
	var forwarded int64 // chunks sent in steps ≥ 1, each backed by one receiver post
	for g := 0; g < steps; g++ {
		data := s.segment(buf, s.sendSeg(g))
		n := chunkCount(len(data), per)
		if g == 0 {
			if n > 0 && !s.write(floatBytes(data)) {
				return
			}
			c.sent.add(n)
			continue
		}
		for lo := 0; lo < n; {
			if !c.recvd.wait(forwarded+1, s.abort) {
				return
			}
			hi := min(n, lo+int(c.recvd.n.Load()-forwarded))
			if !s.write(floatBytes(data[lo*per : min(hi*per, len(data))])) {
				return
			}
			forwarded += int64(hi - lo)
			c.sent.add(hi - lo)
			lo = hi
		}
	}
}

// recvAllReduce runs on the caller's goroutine: it checks the header, then
// reduces (reduce-scatter) or copies (all-gather) each incoming chunk.
func (s *opState) recvAllReduce(buf []float32) {
	c := s.c
	if _, ok := s.readHeader(0, int64(len(buf))); !ok {
		return
	}
	per := c.cfg.ChunkBytes / 4
	w := c.world
	steps := 2 * (w - 1)
	scale := float32(0)
	if s.op == opAllReduceMean {
		scale = float32(w)
	}
	var rsSent int64 // chunks the writer sent in reduce-scatter steps before this all-gather step
	for g := 0; g < steps; g++ {
		data := s.segment(buf, s.recvSeg(g))
		n := chunkCount(len(data), per)
		for k := 0; k < n; k++ {
			if c.hookChunk != nil {
				c.hookChunk(s.op, g, k)
			}
			part := data[k*per : min((k+1)*per, len(data))]
			if g < w-1 {
				in := c.scratch[:len(part)]
				if !s.read(floatBytes(in)) {
					return
				}
				if g == w-2 && scale != 0 {
					addScaled(part, in, scale)
				} else {
					addInto(part, in)
				}
			} else {
				// part was sent in reduce-scatter step g−(W−1); it must have
				// left this process before it is overwritten.
				if !c.sent.wait(rsSent+int64(k)+1, s.abort) || !s.read(floatBytes(part)) {
					return
				}
			}
			if g < steps-1 {
				c.recvd.add(1)
			}
		}
		if g >= w-1 {
			rsSent += int64(n)
		}
	}
}

// addScaled sets dst[i] = (dst[i] + src[i]) / w: the last addition of a
// segment fused with the mean.
func addScaled(dst, src []float32, w float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = (dst[i] + v) / w
	}
}
