// Command checkpoint measures what checkpoints cost (issue 7's figures), in one run:
//
//   - async overhead: the mean training step time with a checkpoint about every 10 s
//     against none, on an MLP 784-2048-2048-10 with Adam (~70 MB per checkpoint) on
//     random data, to local disk and to a real MinIO on loopback; the runs are
//     interleaved in rounds (see overhead), every run is listed so that noise shows,
//     and each store gets the mean over its runs and the median of its runs' ratios
//     to the baseline runs bracketing them; the same for CPU time per step (this
//     process and the MinIO server, see cpuClock), which other load on a shared
//     machine hardly moves;
//   - throughput: checkpoint write (upload + verify) and read (download, hash,
//     decode) in MB/s, against a plain upload and download of one object of the
//     same size, to each store;
//   - replay: the time loop.Replay takes for 100 steps, and whether it is bit-identical;
//   - encryption at rest: checkpoint write and read MB/s on each store encrypted
//     (storage.EncryptedStore under a KEK) against the same store in plaintext,
//     alternating, with the median of the per-repetition ratios (issue 15's goal: ≥ 0.8).
//
// -measure throughput runs only the throughput and encryption tables (a minute or two).
//
// MinIO is the binary storage/s3/miniotest finds (~/.cache/dxtrain/bin/minio or
// $DXTRAIN_MINIO); without it the MinIO rows are skipped with a note. Run it with
// `go run ./bench/checkpoint`; it takes a few minutes.
package main

import (
	"github.com/dxtrain/dxtrain/bench/benchdata"

	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

func main() {
	hiddenFlag := flag.String("hidden", "2048,2048", "hidden layer widths of the MLP")
	interval := flag.Duration("interval", 10*time.Second, "target time between checkpoints")
	perRun := flag.Int("checkpoints", 1, "checkpoints inside each timed run (its window is this many periods)")
	rounds := flag.Int("rounds", 5, "interleaved rounds of timed runs (none, then each store)")
	reps := flag.Int("reps", 3, "repetitions of each throughput measurement (median)")
	replaySteps := flag.Int("replay-steps", 100, "steps replayed")
	measure := flag.String("measure", "all", "all, or throughput (the throughput and encryption tables only)")
	encReps := flag.Int("enc-reps", 5, "repetitions of each encrypted/plain throughput pair (median)")
	flag.Parse()
	if *measure != "all" && *measure != "throughput" {
		fail(fmt.Errorf("-measure %q: want all or throughput", *measure))
	}
	hidden, err := parseHidden(*hiddenFlag)
	if err != nil {
		fail(err)
	}
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "bench-checkpoint-disk-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	disk, err := storage.NewFileStore(dir)
	if err != nil {
		fail(err)
	}
	stores := []namedStore{{name: "disk", store: disk}}
	var clock cpuClock
	var minio *minioServer
	if m, st, err := startMinIO(ctx); err != nil {
		fmt.Printf("note: MinIO skipped: %v\n", err)
	} else {
		defer m.stop()
		minio, clock.minioPID = m, m.PID()
		stores = append(stores, namedStore{name: "minio", store: st})
	}

	data := benchdata.MNISTLike(8192, 256)
	var runs []stepRun
	var every int
	if *measure == "all" {
		if runs, every, err = overhead(ctx, clock, data, hidden, *interval, *perRun, *rounds, stores); err != nil {
			fail(err)
		}
	}
	st, err := benchState(hidden)
	if err != nil {
		fail(err)
	}
	thr := map[string]rates{}
	for _, ns := range stores {
		if thr[ns.name], err = throughput(ctx, ns, st, *reps); err != nil {
			fail(err)
		}
	}
	encThr := map[string]encRates{}
	for _, ns := range stores {
		twin, cleanup, err := encryptedTwin(ctx, ns, minio)
		if err != nil {
			fail(err)
		}
		encThr[ns.name], err = encryptionThroughput(ctx, ns, twin, st, *encReps)
		cleanup()
		if err != nil {
			fail(err)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	if *measure == "throughput" {
		printThroughput(tw, stores, thr)
		printEncryption(tw, stores, encThr, *encReps)
		tw.Flush()
		return
	}
	rp, err := replay(ctx, data, hidden, *replaySteps, disk)
	if err != nil {
		fail(err)
	}

	fmt.Fprintf(tw, "MLP 784-%s-10, Adam, batch %d; checkpoint every %d steps (~%v)\t\n", strings.ReplaceAll(*hiddenFlag, ",", "-"), batch, every, *interval)
	fmt.Fprintln(tw, "measure\tstore\tvalue\tagainst\tratio\t")
	base, cpuBase := baseline(runs)
	for i, r := range runs { // every timed run in order, so drift and noise show
		against, ratio := "", ""
		if r.checkpoints > 0 {
			against, ratio = "bracketing none", fmt.Sprintf("%+.1f%% (CPU %+.1f%%)", 100*r.ratio, 100*r.cpuRatio)
		}
		fmt.Fprintf(tw, "  run %d: step time, %d checkpoints (CPU per step)\t%s\t%.1f ms (%.1f ms)\t%s\t%s\t\n", i+1, r.checkpoints, r.label, ms(r.meanStep), ms(r.cpuStep), against, ratio)
	}
	for _, sm := range summarize(runs) {
		if sm.checkpoints == 0 {
			fmt.Fprintf(tw, "step time, no checkpoints, mean of %d runs\t%s\t%.1f ms\t\t\t\n", sm.runs, sm.label, ms(sm.meanStep))
			fmt.Fprintf(tw, "CPU per step, no checkpoints, mean of %d runs\t%s\t%.1f ms\t\t\t\n", sm.runs, sm.label, ms(sm.cpuStep))
			continue
		}
		fmt.Fprintf(tw, "step time, %d checkpoints in %d runs, mean\t%s\t%.1f ms\t%.1f ms\t%+.1f%%\t\n", sm.checkpoints, sm.runs, sm.label, ms(sm.meanStep), ms(base), 100*(ms(sm.meanStep)/ms(base)-1))
		fmt.Fprintf(tw, "  median of per-run ratios to bracketing none\t%s\t\t\t%+.1f%%\t\n", sm.label, 100*sm.medianRatio)
		fmt.Fprintf(tw, "CPU per step (incl. MinIO server), mean\t%s\t%.1f ms\t%.1f ms\t%+.1f%%\t\n", sm.label, ms(sm.cpuStep), ms(cpuBase), 100*(ms(sm.cpuStep)/ms(cpuBase)-1))
		fmt.Fprintf(tw, "  median of per-run CPU ratios to bracketing none\t%s\t\t\t%+.1f%%\t\n", sm.label, 100*sm.medianCPU)
	}
	printThroughput(tw, stores, thr)
	fmt.Fprintf(tw, "replay %d steps\tdisk\t%.1f s\tidentical=%v\t\t\n", rp.steps, rp.took.Seconds(), rp.identical)
	printEncryption(tw, stores, encThr, *encReps)
	tw.Flush()
}

func printThroughput(tw *tabwriter.Writer, stores []namedStore, thr map[string]rates) {
	for _, ns := range stores {
		t := thr[ns.name]
		fmt.Fprintf(tw, "checkpoint write MB/s (%.0f MB, incl. verify)\t%s\t%.0f\t%.0f plain put\t%.2f\t\n", float64(t.bytes)/1e6, ns.name, t.ckptWrite, t.plainWrite, t.ckptWrite/t.plainWrite)
		fmt.Fprintf(tw, "checkpoint read MB/s (incl. hash, decode)\t%s\t%.0f\t%.0f plain get\t%.2f\t\n", ns.name, t.ckptRead, t.plainRead, t.ckptRead/t.plainRead)
	}
}

// printEncryption is the encryption at rest table; ratio is the median of the paired
// per-repetition ratios encrypted/plain.
func printEncryption(tw *tabwriter.Writer, stores []namedStore, enc map[string]encRates, reps int) {
	fmt.Fprintf(tw, "encryption at rest, median of %d alternating pairs\tstore\tencrypted\tplain store\tratio\t\n", reps)
	for _, ns := range stores {
		e := enc[ns.name]
		fmt.Fprintf(tw, "checkpoint write MB/s (%.0f MB, incl. verify), encrypted\t%s\t%.0f\t%.0f\t%.2f\t\n", float64(e.bytes)/1e6, ns.name, e.encWrite, e.plainWrite, e.writeRatio)
		fmt.Fprintf(tw, "checkpoint read MB/s (incl. hash, decode), encrypted\t%s\t%.0f\t%.0f\t%.2f\t\n", ns.name, e.encRead, e.plainRead, e.readRatio)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func parseHidden(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-hidden %q: %q is not a positive width", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/checkpoint:", err)
	os.Exit(1)
}
