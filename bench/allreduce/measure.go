package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/trainer/collective"
)

// spec is what the parent tells a re-executed rank or sink process.
type spec struct {
	Role         string   `json:"role"` // "rank" or "sink"
	Rank         int      `json:"rank"`
	Addrs        []string `json:"addrs"`
	Session      string   `json:"session"`
	Bytes        int      `json:"bytes"`
	Reps         int      `json:"reps"`
	ChunkBytes   int      `json:"chunk_bytes"`
	SocketBuffer int      `json:"socket_buffer"`
	Congestion   string   `json:"congestion,omitempty"`
	CPUProfile   string   `json:"cpu_profile,omitempty"`
	// TLS puts the ring's links in mutual TLS with this rank's agent certificate.
	TLS *pki.Files `json:"tls,omitempty"`
	// Listen, when set, is the address the process listens on itself (in its
	// network namespace) instead of the listener inherited as fd 3.
	Listen string `json:"listen,omitempty"`
}

// report is what every rank prints on stdout: its time per all-reduce and the
// CPU time (user+system) it spent over all timed reps.
type report struct {
	TimesNs []int64 `json:"times_ns"`
	CPUNs   int64   `json:"cpu_ns"`
}

// dxResult is one dxtrain measurement: rank 0's median time, and the CPU time
// per all-reduce summed over ranks, which the machine's noise barely moves.
type dxResult struct {
	median   time.Duration
	cpuPerOp time.Duration
}

// spawn re-executes this binary with a hidden flag, handing it ln as fd 3, or,
// with ln nil, in network namespace ns, where it listens on sp.Listen itself.
func spawn(ctx context.Context, self string, sp spec, ln net.Listener, ns string) (*exec.Cmd, io.Reader, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return nil, nil, err
	}
	argv := nsCommand(ns, self, "-internal-worker", string(b))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if ln != nil {
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			return nil, nil, fmt.Errorf("listener file: %w", err)
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f}
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", sp.Role, err)
	}
	return cmd, out, nil
}

func listenLoopback(n int) ([]net.Listener, []string, error) {
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	return lns, addrs, nil
}

// measureDxtrain runs world rank processes and returns rank 0's median time.
// certs, when not nil, gives each rank its agent certificate: the ring runs in TLS.
// topo, when not nil, puts rank r in its namespace r; else the ranks use loopback.
func measureDxtrain(ctx context.Context, self string, o options, world, bytes int, certs []pki.Files, topo *netnsTopo) (dxResult, error) {
	var lns []net.Listener
	var addrs []string
	if topo == nil {
		var err error
		if lns, addrs, err = listenLoopback(world); err != nil {
			return dxResult{}, err
		}
	} else {
		for r := range world {
			addrs = append(addrs, topo.addr(r))
		}
	}
	cmds := make([]*exec.Cmd, world)
	outs := make([]io.Reader, world)
	for r := range world {
		sp := spec{Role: "rank", Rank: r, Addrs: addrs, Session: fmt.Sprintf("bench-%d", os.Getpid()),
			Bytes: bytes, Reps: o.reps, ChunkBytes: o.chunkBytes, SocketBuffer: o.socketBuffer, Congestion: o.congestion}
		if certs != nil {
			sp.TLS = &certs[r]
		}
		if o.profileDir != "" {
			mode, link := "plain", "loopback"
			if certs != nil {
				mode = "tls"
			}
			if topo != nil {
				link = topo.rate
			}
			sp.CPUProfile = filepath.Join(o.profileDir, fmt.Sprintf("%s-w%d-b%d-%s-rank%d.pprof", link, world, bytes, mode, r))
		}
		var ln net.Listener
		ns := ""
		if topo != nil {
			sp.Listen, ns = addrs[r], topo.ns(r)
		} else {
			ln = lns[r]
		}
		cmd, out, err := spawn(ctx, self, sp, ln, ns)
		if ln != nil {
			_ = ln.Close()
		}
		if err != nil {
			killAll(cmds)
			return dxResult{}, err
		}
		cmds[r], outs[r] = cmd, out
	}
	reps := make([]report, world)
	decErrs := make([]error, world)
	for r := range world {
		decErrs[r] = json.NewDecoder(outs[r]).Decode(&reps[r])
	}
	var errs []error
	for r, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("rank %d: %w", r, err))
		} else if decErrs[r] != nil || len(reps[r].TimesNs) == 0 {
			errs = append(errs, fmt.Errorf("rank %d report: %v", r, decErrs[r]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return dxResult{}, err
	}
	var cpu int64
	for _, rep := range reps {
		cpu += rep.CPUNs
	}
	return dxResult{median: medianNs(reps[0].TimesNs), cpuPerOp: time.Duration(cpu / int64(o.reps))}, nil
}

func killAll(cmds []*exec.Cmd) {
	for _, c := range cmds {
		if c != nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
}

func medianNs(ns []int64) time.Duration {
	ds := make([]time.Duration, len(ns))
	for i, n := range ns {
		ds[i] = time.Duration(n)
	}
	return median(ds)
}

var glooLine = regexp.MustCompile(`ms=([0-9.]+) busbw_gbps=([0-9.]+)`)

// measureGloo runs the PyTorch gloo reference script and parses its line.
func measureGloo(ctx context.Context, o options, world, bytes int) (msOut, gbps float64, err error) {
	port, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, o.python, o.glooScript, "--world", strconv.Itoa(world),
		"--bytes", strconv.Itoa(bytes), "--reps", strconv.Itoa(o.reps), "--port", strconv.Itoa(port))
	env := os.Environ()[:0:0]
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") && !strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w", o.python, o.glooScript, err)
	}
	m := glooLine.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("no result line in gloo output %q", out)
	}
	msOut, _ = strconv.ParseFloat(string(m[1]), 64)
	gbps, _ = strconv.ParseFloat(string(m[2]), 64)
	return msOut, gbps, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// measureTCP streams bytes to a sink process over one connection, waits for
// its one-byte acknowledgement, and returns the median time: over loopback from
// this process, or on a shaped link from a stream process in namespace 0 to the
// sink in namespace 1.
// certs, when not nil, puts the stream in mutual TLS (certs[0] sends, certs[1]
// receives), buffered as the ring's TLS links are.
func measureTCP(ctx context.Context, self string, o options, bytes int, topo *netnsTopo, certs []pki.Files) (time.Duration, error) {
	sink := spec{Role: "sink", Bytes: bytes, Reps: o.reps + 2, SocketBuffer: o.socketBuffer, Congestion: o.congestion}
	var srcTLS *pki.Files
	if certs != nil {
		sink.TLS, srcTLS = &certs[1], &certs[0]
	}
	if topo != nil {
		sink.Listen = topo.addr(1)
		cmd, out, err := spawn(ctx, self, sink, nil, topo.ns(1))
		if err != nil {
			return 0, err
		}
		go func() { _, _ = io.Copy(io.Discard, out) }()
		defer func() { _ = cmd.Wait() }()
		src := sink
		src.Role, src.Reps, src.Addrs, src.Listen, src.TLS = "stream", o.reps, []string{topo.addr(1)}, "", srcTLS
		scmd, sout, err := spawn(ctx, self, src, nil, topo.ns(0))
		if err != nil {
			_ = cmd.Process.Kill()
			return 0, err
		}
		var rep report
		decErr := json.NewDecoder(sout).Decode(&rep)
		if err := scmd.Wait(); err != nil {
			_ = cmd.Process.Kill()
			return 0, fmt.Errorf("stream: %w", err)
		}
		if decErr != nil || len(rep.TimesNs) == 0 {
			return 0, fmt.Errorf("stream report: %v", decErr)
		}
		return medianNs(rep.TimesNs), nil
	}
	lns, _, err := listenLoopback(1)
	if err != nil {
		return 0, err
	}
	addr := lns[0].Addr().String()
	cmd, out, err := spawn(ctx, self, sink, lns[0], "")
	_ = lns[0].Close()
	if err != nil {
		return 0, err
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	defer func() { _ = cmd.Wait() }()
	times, err := streamTimes(ctx, addr, bytes, o.reps, o.socketBuffer, o.congestion, srcTLS)
	if err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	return median(times), nil
}

// streamTimes dials the sink at addr and times reps sends of bytes, each until
// the sink's acknowledgement, after two warm-up rounds like the all-reduces;
// in TLS with certificate certs when it is not nil.
func streamTimes(ctx context.Context, addr string, bytes, reps, socketBuffer int, congestion string, certs *pki.Files) ([]time.Duration, error) {
	var conn net.Conn
	var err error
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		var d net.Dialer
		if conn, err = d.DialContext(ctx, "tcp", addr); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(wait) // the sink may still be starting
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := tuneTCP(conn, socketBuffer, congestion); err != nil {
		return nil, err
	}
	var w io.Writer = conn
	flush := func() error { return nil }
	if certs != nil {
		src, err := pki.Load(*certs)
		if err != nil {
			return nil, err
		}
		bc := newBufferedConn(conn)
		tc := tls.Client(bc, src.ClientConfig(pki.RoleAgent))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		bc.gather = true
		w, conn, flush = tc, tc, bc.w.Flush
	}
	payload := make([]byte, bytes)
	for i := range payload { // touched, so no page faults in the timed sends
		payload[i] = byte(i)
	}
	var ack [1]byte
	r := bufio.NewReader(conn)
	var times []time.Duration
	for i := range reps + 2 {
		start := time.Now()
		if _, err := w.Write(payload); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		if err := flush(); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		if _, err := io.ReadFull(r, ack[:]); err != nil {
			return nil, fmt.Errorf("read ack: %w", err)
		}
		if i >= 2 {
			times = append(times, time.Since(start))
		}
	}
	return times, nil
}

// tuneTCP gives the reference stream dxtrain's socket options, so the
// loopback figure is the ceiling for the same kind of connection.
func tuneTCP(c net.Conn, socketBuffer int, congestion string) error {
	tc := c.(*net.TCPConn)
	_ = tc.SetNoDelay(true)
	if socketBuffer > 0 {
		_ = tc.SetReadBuffer(socketBuffer)
		_ = tc.SetWriteBuffer(socketBuffer)
	}
	if name := congestionName(congestion); name != collective.SystemCongestion {
		return collective.SetCongestion(tc, name)
	}
	return nil
}

// congestionName resolves the --congestion flag like collective.Config does.
func congestionName(flag string) string {
	if flag == "" {
		return collective.DefaultCongestion
	}
	return flag
}

// bufferedConn is what trainer/collective's TLS links put under a tls.Conn, for the
// reference stream in TLS: records gathered into 256 KiB writes once gather is set
// (after the handshake), the socket read in 256 KiB pieces.
type bufferedConn struct {
	net.Conn
	w      *bufio.Writer
	r      *bufio.Reader
	gather bool
}

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, w: bufio.NewWriterSize(c, 256<<10), r: bufio.NewReaderSize(c, 256<<10)}
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *bufferedConn) Write(p []byte) (int, error) {
	if !b.gather {
		return b.Conn.Write(p)
	}
	return b.w.Write(p)
}
