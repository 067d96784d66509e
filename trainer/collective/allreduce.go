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
// it while the next chunk arrives. Chunks move in the order of ringPlan
// (schedule.go), which keeps forwarded data in cache.

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
	p := newRingPlan(len(buf), c.world, c.chunkBytes(4*len(s.segment(buf, 0)))/4)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.sendAllReduce(buf, p)
	}()
	s.recvAllReduce(buf, p)
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

// chunkBytes is the pipelining unit for a ring step that moves stepBytes:
// cfg.ChunkBytes when set, else a sixteenth of the step clamped to
// [DefaultChunkBytes, maxAutoChunkBytes] and rounded down to whole pages.
// Each chunk costs system calls and wake-ups (a loopback stream on a 2-core
// host takes about a fifth less CPU per byte in 1 MiB writes than in 256 KiB
// ones), while too few chunks per step leave the ring's links idle.
func (c *Comm) chunkBytes(stepBytes int) int {
	if c.cfg.ChunkBytes > 0 {
		return c.cfg.ChunkBytes
	}
	return min(max(stepBytes/16, DefaultChunkBytes), maxAutoChunkBytes) &^ 4095
}

// scratchFloats returns the receive scratch with room for n floats, growing
// it only when a larger chunk than before is needed (so at most once per
// message size, not once per operation).
func (c *Comm) scratchFloats(n int) []float32 {
	if cap(c.scratch) < n {
		c.scratch = make([]float32, n)
	}
	return c.scratch[:n]
}

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

// sendAllReduce is the writer goroutine: header, then every item of the
// plan, forwarding each as soon as the receiver has finished its source.
// Items that are ready together go out in one writev, so small chunks do not
// cost a system call each.
func (s *opState) sendAllReduce(buf []float32, p ringPlan) {
	c := s.c
	if !s.writeHeader(header{Op: s.op, Seq: s.seq, Count: uint64(len(buf))}) {
		return
	}
	batch := c.batch[:0]
	items := 0          // items in batch, including empty ones
	var forwarded int64 // items of steps ≥ 1 taken, each backed by one receiver post
	flush := func() bool {
		if len(batch) > 0 && !s.writev(batch) {
			return false
		}
		c.sent.add(items)
		batch, items = c.batch[:0], 0
		return true
	}
	for t := range p.wavefronts() {
		first, last := p.stepRange(t)
		for g := first; g <= last; g++ {
			if g > 0 {
				if c.recvd.n.Load() <= forwarded && (!flush() || !c.recvd.wait(forwarded+1, s.abort)) {
					return
				}
				forwarded++
			}
			if data := p.chunk(s.segment(buf, s.sendSeg(g)), t-g); len(data) > 0 {
				batch = append(batch, floatBytes(data))
			}
			if items++; len(batch) == cap(c.batch) && !flush() {
				return
			}
		}
	}
	flush()
}

// recvAllReduce runs on the caller's goroutine: it checks the header, then
// reduces (reduce-scatter) or copies (all-gather) each incoming item.
func (s *opState) recvAllReduce(buf []float32, p ringPlan) {
	c := s.c
	if _, ok := s.readHeader(0, int64(len(buf))); !ok {
		return
	}
	scratch := c.scratchFloats(p.per)
	w := c.world
	scale := float32(0)
	if s.op == opAllReduceMean {
		scale = float32(w)
	}
	for t := range p.wavefronts() {
		first, last := p.stepRange(t)
		for g := first; g <= last; g++ {
			if part := p.chunk(s.segment(buf, s.recvSeg(g)), t-g); len(part) > 0 {
				if c.hookChunk != nil {
					c.hookChunk(s.op, g, t-g)
				}
				if g < w-1 {
					in := scratch[:len(part)]
					if !s.read(floatBytes(in)) {
						return
					}
					if g == w-2 && scale != 0 {
						addScaled(part, in, scale)
					} else {
						addInto(part, in)
					}
				} else {
					// part was sent as item (l, g−(W−1)), in wavefront
					// t−(W−1); it must have left this process before it is
					// overwritten.
					if !c.sent.wait(p.through(t-(w-1)), s.abort) || !s.read(floatBytes(part)) {
						return
					}
				}
			}
			if g < p.steps-1 {
				c.recvd.add(1)
			}
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
