package channel

// StopRequest is the leader's request that the attempt checkpoint now and stop, as
// the ranks are told it: the reason ("preempt" or "time_limit") and a sentence for
// people. The channel does not know the control plane's types, only what it passes on.
type StopRequest struct {
	Reason string
	Detail string
}

// withStop adds the stop request, if there is one, to a successful answer: a rank
// hears of it at its next report or ping, whichever it sends.
func (s *Server) withStop(resp response) response {
	if !resp.OK || s.cfg.Stop == nil {
		return resp
	}
	if stop, ok := s.cfg.Stop(); ok {
		resp.Stop, resp.StopReason, resp.StopDetail = true, stop.Reason, stop.Detail
	}
	return resp
}

// stopped passes on a rank's word that it stopped on request after checkpointing
// step. It is accepted whether or not this node has heard of a request: the ranks
// agree among themselves (a rank on another node may have been told first), and the
// agent decides at the end what the attempt's status is.
func (s *Server) stopped(sess *session, req request) error {
	step, err := validateStep(req.Step)
	if err != nil {
		return err
	}
	if s.cfg.Stopped != nil {
		s.cfg.Stopped(sess.rank, step)
	}
	return nil
}
