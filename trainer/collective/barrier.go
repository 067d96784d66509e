package collective

// Barrier returns once every rank has entered it. A token goes around the
// ring twice: the first lap (started by rank 0) proves to rank 0 that all
// ranks arrived, the second releases ranks 1 … W−1.
func (c *Comm) Barrier() error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	s, err := c.begin(opBarrier)
	if err != nil || c.world == 1 {
		return err
	}
	last := c.world - 1
	for lap := uint8(1); lap <= 2; lap++ {
		if c.rank != 0 && !s.recvLap(lap) {
			return c.Err()
		}
		if lap == 2 && c.rank == last {
			break
		}
		if !s.writeHeader(header{Op: opBarrier, Flags: lap, Seq: s.seq}) {
			return c.Err()
		}
		if c.rank == 0 && lap == 1 && !s.recvLap(lap) {
			return c.Err()
		}
	}
	return s.result()
}

// recvLap receives the barrier token of the given lap.
func (s *opState) recvLap(lap uint8) bool {
	got, ok := s.readHeader(0, 0)
	if !ok {
		return false
	}
	if got.Flags != lap {
		s.fail(s.c.prevRank(), errBarrierLap(got.Flags, lap), ErrMismatch)
		return false
	}
	return true
}
