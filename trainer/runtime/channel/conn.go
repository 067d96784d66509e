package channel

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"time"
)

// errLineTooLong ends a connection: once a line is over MaxLine the framing is lost.
var errLineTooLong = fmt.Errorf("%w: line longer than %d bytes", ErrBadRequest, MaxLine)

// session is one authenticated rank's connection state.
type session struct {
	rank           int
	info           HelloInfo
	lastReport     int64 // -1 before the first
	lastCheckpoint int64 // -1 before the first; the resume step when resuming
}

// serve runs one connection: the hello, then one answer per request until the rank
// disconnects, breaks the framing, or the server closes.
func (s *Server) serve(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	c.SetReadDeadline(time.Now().Add(s.cfg.HelloTimeout))
	sess, err := s.hello(c, r)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("channel connection refused", "error", err)
		}
		return
	}
	c.SetReadDeadline(time.Time{})
	s.log.Info("rank connected", "rank", sess.rank)
	for {
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			s.cfg.Touch(sess.rank)
			s.reply(c, errorResponse(err))
			s.log.Warn("rank broke the channel framing", "rank", sess.rank, "error", err)
			return
		}
		if err != nil {
			s.log.Info("rank disconnected", "rank", sess.rank)
			return
		}
		s.cfg.Touch(sess.rank)
		resp, fatal := s.handle(sess, line)
		if err := s.reply(c, resp); err != nil || fatal {
			return
		}
	}
}

// hello reads and checks the first message and answers it. A refused hello is
// answered with the reason and the connection closed.
func (s *Server) hello(c net.Conn, r *bufio.Reader) (*session, error) {
	line, err := readLine(r)
	if err != nil {
		if errors.Is(err, errLineTooLong) {
			s.reply(c, errorResponse(err))
		}
		return nil, err
	}
	sess, err := s.authenticate(line)
	if err != nil {
		s.reply(c, errorResponse(err))
		return nil, err
	}
	s.cfg.Touch(sess.rank) // before the answer, so the rank is known alive once it has it
	if err := s.reply(c, response{OK: true, Info: &sess.info}); err != nil {
		s.unclaim(sess.rank)
		return nil, err
	}
	return sess, nil
}

func (s *Server) authenticate(line []byte) (*session, error) {
	req, err := decodeRequest(line)
	if err != nil {
		return nil, err
	}
	if req.Op != opHello {
		return nil, fmt.Errorf("%w: the first message must be hello, not %q", ErrBadRequest, req.Op)
	}
	// The secret goes first, so nothing else is revealed to a client without it.
	if subtle.ConstantTimeCompare([]byte(req.Secret), []byte(s.cfg.Secret)) != 1 {
		return nil, fmt.Errorf("%w: wrong secret (pid %d)", ErrBadRequest, req.PID)
	}
	if req.Rank == nil {
		return nil, fmt.Errorf("%w: hello has no rank", ErrBadRequest)
	}
	rank := *req.Rank
	if !s.allowed[rank] {
		ranks := slices.Sorted(maps.Keys(s.allowed))
		return nil, fmt.Errorf("%w: rank %d does not run on this node (ranks %v)", ErrBadRequest, rank, ranks)
	}
	if !s.claim(rank) {
		return nil, fmt.Errorf("%w: rank %d has already said hello", ErrBadRequest, rank)
	}
	info, err := s.cfg.Info(rank)
	if err == nil && info.Rank != rank {
		err = fmt.Errorf("the agent's info is for rank %d", info.Rank)
	}
	if err != nil {
		s.unclaim(rank)
		return nil, fmt.Errorf("hello of rank %d: %w", rank, err)
	}
	sess := &session{rank: rank, info: info, lastReport: -1, lastCheckpoint: -1}
	if info.Resume != nil {
		sess.lastCheckpoint = info.Resume.Step
	}
	return sess, nil
}

// readLine returns the next line without its newline. A line over MaxLine gives
// errLineTooLong having read no more than MaxLine plus one buffer.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		line = append(line, frag...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if len(line) > MaxLine {
				return nil, errLineTooLong
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(line) > MaxLine {
				return nil, errLineTooLong
			}
		default:
			return nil, err
		}
	}
}

// reply writes one answer line under the write deadline.
func (s *Server) reply(c net.Conn, resp response) error {
	b, err := json.Marshal(resp)
	if err != nil {
		// Only a value JSON cannot hold (a NaN from the Handler) gets here.
		b, _ = json.Marshal(errorResponse(fmt.Errorf("agent could not encode its answer: %v", err)))
	}
	c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	_, err = c.Write(append(b, '\n'))
	return err
}
