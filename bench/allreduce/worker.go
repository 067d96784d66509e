package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/trainer/collective"
)

// runInternal is the child side: -internal-worker '<spec json>'.
func runInternal(args []string) error {
	if len(args) != 2 || args[0] != "-internal-worker" {
		return fmt.Errorf("unexpected internal arguments %q", args)
	}
	var sp spec
	if err := json.Unmarshal([]byte(args[1]), &sp); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	if sp.Role == "stream" {
		return runStream(sp)
	}
	var ln net.Listener
	var err error
	if sp.Listen != "" {
		ln, err = net.Listen("tcp", sp.Listen)
	} else {
		ln, err = net.FileListener(os.NewFile(3, "listener"))
	}
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	switch sp.Role {
	case "rank":
		return runRank(sp, ln)
	case "sink":
		return runSink(sp, ln)
	}
	return fmt.Errorf("unknown role %q", sp.Role)
}

// runRank mirrors gloo_allreduce.py: 3 warm-up all-reduces, a barrier, then
// reps timed all-reduces back to back; rank 0 reports every time.
func runRank(sp spec, ln net.Listener) error {
	cfg := collective.DefaultConfig()
	cfg.Rank, cfg.World, cfg.Addrs, cfg.Session = sp.Rank, len(sp.Addrs), sp.Addrs, sp.Session
	cfg.Timeout = 2 * time.Minute
	cfg.SocketBuffer = sp.SocketBuffer
	cfg.Congestion = sp.Congestion
	if sp.ChunkBytes > 0 {
		cfg.ChunkBytes = sp.ChunkBytes
	}
	if sp.TLS != nil { // as an agent does: only agents of the cluster's CA in the ring
		src, err := pki.Load(*sp.TLS)
		if err != nil {
			return err
		}
		cfg.ServerTLS = src.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleAgent}})
		cfg.ClientTLS = src.ClientConfig(pki.RoleAgent)
	}
	c, err := collective.JoinListener(context.Background(), cfg, ln)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]float32, sp.Bytes/4)
	rng := rand.New(rand.NewPCG(uint64(sp.Rank), 1))
	for i := range buf {
		buf[i] = float32(rng.NormFloat64())
	}
	for range 3 {
		if err := c.AllReduceSum(buf); err != nil {
			return err
		}
	}
	if err := c.Barrier(); err != nil {
		return err
	}
	if sp.CPUProfile != "" {
		f, err := os.Create(sp.CPUProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var rep report
	cpu0 := cpuTime()
	for range sp.Reps {
		start := time.Now()
		if err := c.AllReduceSum(buf); err != nil {
			return err
		}
		rep.TimesNs = append(rep.TimesNs, int64(time.Since(start)))
	}
	rep.CPUNs = int64(cpuTime() - cpu0)
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// cpuTime is the user+system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runSink reads reps payloads of sp.Bytes and acknowledges each with a byte.
func runSink(sp spec, ln net.Listener) error {
	conn, err := ln.Accept()
	_ = ln.Close()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	if err := tuneTCP(conn, sp.SocketBuffer, sp.Congestion); err != nil {
		return err
	}
	flush := func() error { return nil }
	if sp.TLS != nil {
		src, err := pki.Load(*sp.TLS)
		if err != nil {
			return err
		}
		bc := newBufferedConn(conn)
		tc := tls.Server(bc, src.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleAgent}}))
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
		bc.gather = true
		conn, flush = tc, bc.w.Flush
	}
	buf := make([]byte, 4<<20)
	for range sp.Reps {
		if _, err := io.CopyBuffer(io.Discard, io.LimitReader(conn, int64(sp.Bytes)), buf); err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		if _, err := conn.Write([]byte{1}); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		if err := flush(); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
	}
	return nil
}

// runStream is the sending side of the reference stream on a shaped link: it
// times sp.Reps sends to the sink at sp.Addrs[0] and reports them like a rank.
func runStream(sp spec) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	times, err := streamTimes(ctx, sp.Addrs[0], sp.Bytes, sp.Reps, sp.SocketBuffer, sp.Congestion, sp.TLS)
	if err != nil {
		return err
	}
	var rep report
	for _, t := range times {
		rep.TimesNs = append(rep.TimesNs, int64(t))
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}
