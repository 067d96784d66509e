package channel

import (
	"fmt"
	"time"
)

// handle answers one request of an authenticated rank. fatal means the connection
// must be closed after the answer.
func (s *Server) handle(sess *session, line []byte) (resp response, fatal bool) {
	req, err := decodeRequest(line)
	if err != nil {
		return errorResponse(err), false
	}
	switch req.Op {
	case opPing:
		return s.withStop(response{OK: true}), false
	case opReport:
		err = s.report(sess, req)
		return s.withStop(okOr(err)), false
	case opStopped:
		return okOr(s.stopped(sess, req)), false
	case opCheckpoint:
		return s.checkpoint(sess, req), false
	case opONNX:
		return s.onnx(sess, req), false
	case opHello:
		return errorResponse(fmt.Errorf("%w: rank %d has already said hello", ErrBadRequest, sess.rank)), true
	default:
		return errorResponse(fmt.Errorf("%w: unknown op %q", ErrBadRequest, req.Op)), false
	}
}

func okOr(err error) response {
	if err != nil {
		return errorResponse(err)
	}
	return response{OK: true}
}

func (s *Server) report(sess *session, req request) error {
	step, err := validateStep(req.Step)
	if err != nil {
		return err
	}
	if len(req.Metrics) == 0 {
		return fmt.Errorf("%w: report has no metrics", ErrBadRequest)
	}
	if err := validateMetrics(req.Metrics); err != nil {
		return err
	}
	if step < sess.lastReport {
		return fmt.Errorf("%w: report step %d is before the last reported step %d", ErrBadRequest, step, sess.lastReport)
	}
	sess.lastReport = step
	s.cfg.Handler.Report(sess.rank, step, req.Metrics)
	return nil
}

func (s *Server) checkpoint(sess *session, req request) response {
	if sess.rank != 0 {
		return errorResponse(fmt.Errorf("%w: only rank 0 sends checkpoints, not rank %d", ErrBadRequest, sess.rank))
	}
	step, err := validateStep(req.Step)
	if err != nil {
		return errorResponse(err)
	}
	if step <= sess.lastCheckpoint {
		return errorResponse(fmt.Errorf("%w: checkpoint step %d is not after step %d, the last checkpoint", ErrBadRequest, step, sess.lastCheckpoint))
	}
	if err := validateMetrics(req.Metrics); err != nil {
		return errorResponse(err)
	}
	dir, err := resolveDirUnder("checkpoint dir", req.Dir, sess.info.CheckpointDir)
	if err != nil {
		return errorResponse(err)
	}
	if req.Metrics == nil {
		req.Metrics = map[string]float64{}
	}
	defer s.keepAlive(sess.rank)()
	res, err := s.cfg.Handler.Checkpoint(s.ctx, sess.rank, step, dir, req.Metrics)
	if err != nil {
		return errorResponse(fmt.Errorf("checkpoint at step %d: %w", step, err))
	}
	sess.lastCheckpoint = step
	return response{OK: true, CheckpointID: res.CheckpointID, ManifestSHA256: res.ManifestSHA256}
}

func (s *Server) onnx(sess *session, req request) response {
	if sess.rank != 0 {
		return errorResponse(fmt.Errorf("%w: only rank 0 sends ONNX files, not rank %d", ErrBadRequest, sess.rank))
	}
	var paths [3]string
	for i, f := range []struct{ field, path string }{{"path", req.Path}, {"inputs", req.Inputs}, {"outputs", req.Outputs}} {
		p, err := resolveFileUnder(f.field, f.path, s.cfg.WorkDir)
		if err != nil {
			return errorResponse(err)
		}
		paths[i] = p
	}
	defer s.keepAlive(sess.rank)()
	res, err := s.cfg.Handler.ONNX(s.ctx, sess.rank, paths[0], paths[1], paths[2])
	if err != nil {
		return errorResponse(fmt.Errorf("onnx %s: %w", req.Path, err))
	}
	diff := res.MaxAbsDiff
	return response{OK: true, SHA256: res.SHA256, MaxAbsDiff: &diff}
}

// keepAlive touches rank every KeepAlive until the returned stop is called: while the
// Handler works for a rank, the rank waits for the answer and cannot send anything.
func (s *Server) keepAlive(rank int) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(s.cfg.KeepAlive)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.cfg.Touch(rank)
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		s.cfg.Touch(rank)
	}
}
