// Command allreduce measures dxtrain's ring all-reduce bus bandwidth against
// PyTorch's gloo backend and against a plain loopback TCP stream, in one run
// on one machine, and prints one table with the ratio.
//
//	go run ./bench/allreduce [--quick] [--reps 10] [--worlds 2,4] [--rounds 3] [--congestion reno] [--tls] [--netns 10gbit,25gbit]
//
// Every rank is a separate OS process (this binary re-executed with a hidden
// flag) talking over 127.0.0.1, like gloo's ranks. Bus bandwidth is
// 2·(W−1)/W · bytes / time, the nccl-tests convention; times are medians.
//
// --netns repeats the dxtrain and reference-stream measurements on links of
// the given rates: each rank in its own network namespace, behind a veth to a
// bridge, what it sends shaped by tc to the rate (netns.go). It needs root and
// iproute2, and removes the namespaces when done. The loopback rows stay in
// the table beside the shaped ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/pki"
)

type options struct {
	quick        bool
	reps         int
	worlds       []int
	sizes        []int
	chunkBytes   int
	socketBuffer int
	congestion   string
	python       string
	glooScript   string
	skipGloo     bool
	profileDir   string
	rounds       int
	withTLS      bool
	netns        []string    // link rates for the shaped-link rows, e.g. 10gbit
	certs        []pki.Files // agent certificates for the TLS runs, one per rank
}

func main() {
	log.SetFlags(0)
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-internal-") {
		if err := runInternal(os.Args[1:]); err != nil {
			log.Fatalf("allreduce worker: %v", err)
		}
		return
	}
	var o options
	var worlds, sizes, netns string
	flag.BoolVar(&o.quick, "quick", false, "skip the 256 MiB size")
	flag.IntVar(&o.reps, "reps", 10, "timed repetitions per measurement (median reported)")
	flag.StringVar(&worlds, "worlds", "2,4", "comma-separated world sizes")
	flag.StringVar(&sizes, "sizes", "1Mi,16Mi,256Mi", "comma-separated buffer sizes in bytes (Ki/Mi suffixes)")
	flag.IntVar(&o.chunkBytes, "chunk-bytes", 0, "dxtrain pipelining chunk (0 = package default)")
	flag.IntVar(&o.socketBuffer, "socket-buffer", 0, "SO_SNDBUF/SO_RCVBUF bytes (0 = kernel autotuning)")
	flag.StringVar(&o.congestion, "congestion", "", `TCP congestion control for dxtrain and the loopback stream ("" = dxtrain's default, reno; "system" = kernel default)`)
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "python with torch (Debian python3-torch)")
	flag.StringVar(&o.glooScript, "gloo-script", "../shared/bench/gloo_allreduce.py", "path of the gloo reference script")
	flag.BoolVar(&o.skipGloo, "skip-gloo", false, "do not run the gloo reference")
	flag.IntVar(&o.rounds, "rounds", 1, "repeat every measurement this many times, interleaved; report the median")
	flag.StringVar(&o.profileDir, "cpuprofile-dir", "", "write each dxtrain rank's CPU profile of the timed reps here")
	flag.BoolVar(&o.withTLS, "tls", false, "also measure dxtrain with the ring in mutual TLS (agent certificates of a throwaway CA), and its ratio to plaintext")
	flag.StringVar(&netns, "netns", "", "comma-separated link rates (tc syntax, e.g. 10gbit,25gbit): also measure with each rank in its own network namespace behind a veth to a bridge, what it sends shaped to the rate (root, ip and tc needed; gloo is not run there)")
	flag.Parse()
	var err error
	if o.worlds, err = parseList(worlds); err != nil {
		log.Fatalf("--worlds: %v", err)
	}
	if o.sizes, err = parseList(sizes); err != nil {
		log.Fatalf("--sizes: %v", err)
	}
	if o.rounds < 1 || o.reps < 1 {
		log.Fatalf("--rounds %d and --reps %d must be at least 1", o.rounds, o.reps)
	}
	if netns != "" {
		for _, r := range strings.Split(netns, ",") {
			if _, err := parseRate(strings.TrimSpace(r)); err != nil {
				log.Fatalf("--netns: %v", err)
			}
			o.netns = append(o.netns, strings.TrimSpace(r))
		}
		if err := checkNetnsPrereqs(); err != nil {
			log.Fatalf("allreduce bench: %v", err)
		}
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			log.Fatalf("--cpuprofile-dir: %v", err)
		}
	}
	if o.quick {
		o.sizes = slices.DeleteFunc(o.sizes, func(b int) bool { return b >= 256<<20 })
	}
	if err := run(o); err != nil {
		log.Fatalf("allreduce bench: %v", err)
	}
}

type row struct {
	link                string // "loopback" or the shaped link's rate
	world, bytes        int
	dx, gloo, tcp       float64 // GB/s; 0 means not measured
	dxMs, glooMs, tcpMs float64
	dxCPUMs             float64 // CPU time per all-reduce, summed over ranks
	dxTLS               float64 // GB/s with the ring in TLS; 0 means not measured
	dxTLSCPUMs          float64 // CPU time per all-reduce in TLS, summed over ranks
	tcpTLS              float64 // GB/s of the reference stream in TLS; 0 means not measured
}

func run(o options) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	if o.withTLS {
		dir, err := os.MkdirTemp("", "dxtrain-allreduce-pki-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if o.certs, err = benchCerts(dir, max(slices.Max(o.worlds), 2)); err != nil {
			return err
		}
	}
	var rows []row
	for _, w := range o.worlds {
		for _, b := range o.sizes {
			r, err := measureRow(self, o, w, b, nil)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	for _, rate := range o.netns {
		shaped, err := measureShaped(self, o, rate)
		if err != nil {
			return err
		}
		rows = append(rows, shaped...)
	}
	printTable(rows, o)
	if o.withTLS {
		printCipherRates()
	}
	return nil
}

// measureShaped sets up the namespaces of one link rate, measures every world
// and size on it, and removes them, also when interrupted.
func measureShaped(self string, o options, rate string) ([]row, error) {
	topo, err := setupNetns(rate, max(slices.Max(o.worlds), 2))
	if err != nil {
		return nil, err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sig)
		close(done)
		topo.teardown()
	}()
	go func() {
		select {
		case s := <-sig:
			topo.teardown()
			log.Fatalf("allreduce bench: %v: removed the %s link's namespaces", s, rate)
		case <-done:
		}
	}()
	o.skipGloo = true // gloo's script listens on loopback only
	var rows []row
	for _, w := range o.worlds {
		for _, b := range o.sizes {
			r, err := measureRow(self, o, w, b, topo)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// measureRow measures one world size and buffer size: each round runs
// dxtrain, gloo and the TCP stream back to back, so they see similar noise;
// the row holds the median over rounds of each side's median time.
func measureRow(self string, o options, w, b int, topo *netnsTopo) (row, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var dx, dxTLS, gloo, tcp, tcpTLS, cpu, cpuTLS []time.Duration
	for round := range o.rounds {
		res, err := measureDxtrain(ctx, self, o, w, b, nil, topo)
		if err != nil {
			return row{}, fmt.Errorf("dxtrain world=%d bytes=%d: %w", w, b, err)
		}
		dx, cpu = append(dx, res.median), append(cpu, res.cpuPerOp)
		if o.withTLS {
			res, err := measureDxtrain(ctx, self, o, w, b, o.certs[:w], topo)
			if err != nil {
				return row{}, fmt.Errorf("dxtrain with TLS world=%d bytes=%d: %w", w, b, err)
			}
			dxTLS, cpuTLS = append(dxTLS, res.median), append(cpuTLS, res.cpuPerOp)
		}
		if !o.skipGloo {
			ms, _, err := measureGloo(ctx, o, w, b)
			if err != nil {
				return row{}, fmt.Errorf("gloo world=%d bytes=%d: %w", w, b, err)
			}
			gloo = append(gloo, time.Duration(ms*float64(time.Millisecond)))
		}
		med, err := measureTCP(ctx, self, o, b, topo, nil)
		if err != nil {
			return row{}, fmt.Errorf("%s tcp bytes=%d: %w", linkName(topo), b, err)
		}
		tcp = append(tcp, med)
		if o.withTLS {
			med, err := measureTCP(ctx, self, o, b, topo, o.certs[:2])
			if err != nil {
				return row{}, fmt.Errorf("%s tcp in TLS bytes=%d: %w", linkName(topo), b, err)
			}
			tcpTLS = append(tcpTLS, med)
		}
		fmt.Fprintf(os.Stderr, "round %d %s world=%d bytes=%d: dxtrain %v tls %v gloo %v tcp %v\n", round, linkName(topo), w, b, dx[len(dx)-1], last(dxTLS), last(gloo), tcp[len(tcp)-1])
	}
	r := row{link: linkName(topo), world: w, bytes: b}
	r.dxMs, r.dx = ms(median(dx)), busBW(w, b, median(dx))
	r.dxCPUMs = ms(median(cpu))
	if len(dxTLS) > 0 {
		r.dxTLS = busBW(w, b, median(dxTLS))
		r.dxTLSCPUMs = ms(median(cpuTLS))
	}
	if len(gloo) > 0 {
		r.glooMs, r.gloo = ms(median(gloo)), busBW(w, b, median(gloo))
	}
	r.tcpMs, r.tcp = ms(median(tcp)), float64(b)/median(tcp).Seconds()/1e9
	if len(tcpTLS) > 0 {
		r.tcpTLS = float64(b) / median(tcpTLS).Seconds() / 1e9
	}
	return r, nil
}

func linkName(topo *netnsTopo) string {
	if topo == nil {
		return "loopback"
	}
	return "veth " + topo.rate
}

func last(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1]
}

func printTable(rows []row, o options) {
	fmt.Printf("all-reduce bus bandwidth = 2(W-1)/W * bytes / time; time = median of %d rounds of (median of %d reps);\n", o.rounds, o.reps)
	fmt.Printf("ranks are separate processes sharing %d CPUs; link TCP = one stream, same bytes, same socket options as dxtrain (congestion %s)\n", runtime.NumCPU(), congestionName(o.congestion))
	fmt.Printf("loopback: 127.0.0.1; veth RATE: each rank in its own network namespace, a veth to a bridge, what it sends shaped to RATE (tc tbf, 1 ms bucket)\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "link\tworld\tbytes\tdxtrain ms\tdxtrain busbw GB/s\tgloo ms\tgloo busbw GB/s\tratio\tlink TCP GB/s\tdxtrain CPU ms/op\tdxtrain TLS busbw GB/s\tTLS/plain\tTLS CPU ms/op\tlink TCP in TLS GB/s\t")
	for _, r := range rows {
		ratio, tlsBW, tlsRatio, tlsCPU, tcpTLS := "-", "-", "-", "-", "-"
		if r.gloo > 0 {
			ratio = fmt.Sprintf("%.2fx", r.dx/r.gloo)
		}
		if r.dxTLS > 0 {
			tlsBW, tlsRatio, tlsCPU = fmt.Sprintf("%.3f", r.dxTLS), fmt.Sprintf("%.2f", r.dxTLS/r.dx), fmt.Sprintf("%.1f", r.dxTLSCPUMs)
		}
		if r.tcpTLS > 0 {
			tcpTLS = fmt.Sprintf("%.3f", r.tcpTLS)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f\t%.3f\t%.2f\t%.3f\t%s\t%.3f\t%.1f\t%s\t%s\t%s\t%s\t\n",
			r.link, r.world, sizeName(r.bytes), r.dxMs, r.dx, r.glooMs, r.gloo, ratio, r.tcp, r.dxCPUMs, tlsBW, tlsRatio, tlsCPU, tcpTLS)
	}
	_ = tw.Flush()
}

func busBW(world, bytes int, d time.Duration) float64 {
	return 2 * float64(world-1) / float64(world) * float64(bytes) / d.Seconds() / 1e9
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func parseList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		switch {
		case strings.HasSuffix(f, "Ki"):
			mult, f = 1<<10, strings.TrimSuffix(f, "Ki")
		case strings.HasSuffix(f, "Mi"):
			mult, f = 1<<20, strings.TrimSuffix(f, "Mi")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive size", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func sizeName(b int) string {
	if b%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return strconv.Itoa(b)
}

// benchCerts makes a throwaway CA and one agent certificate per rank.
func benchCerts(dir string, ranks int) ([]pki.Files, error) {
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), pki.DefaultCluster, time.Hour+time.Minute)
	if err != nil {
		return nil, err
	}
	out := make([]pki.Files, ranks)
	for r := range out {
		f, err := ca.Issue(dir, pki.CertRequest{Role: pki.RoleAgent, Name: fmt.Sprintf("bench-rank-%d", r), Validity: time.Hour})
		if err != nil {
			return nil, err
		}
		out[r] = pki.Files{CA: filepath.Join(dir, "ca", pki.CACertFile), Cert: f.Cert, Key: f.Key}
	}
	return out, nil
}
