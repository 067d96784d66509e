// Command checkpoint measures what checkpoints cost (issue 7's figures), in one run:
//
//   - async overhead: the mean training step time with a checkpoint about every 10 s
//     against none, on an MLP 784-2048-2048-10 with Adam (~70 MB per checkpoint) on
//     random data, to local disk and to a real MinIO on loopback;
//   - throughput: checkpoint write (upload + verify) and read (download, hash,
//     decode) in MB/s, against a plain upload and download of one object of the
//     same size, to each store;
//   - replay: the time loop.Replay takes for 100 steps, and whether it is bit-identical.
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
	perRun := flag.Int("checkpoints", 4, "checkpoints inside each timed run")
	reps := flag.Int("reps", 3, "repetitions of each throughput measurement (median)")
	replaySteps := flag.Int("replay-steps", 100, "steps replayed")
	flag.Parse()
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
	if m, st, err := startMinIO(ctx); err != nil {
		fmt.Printf("note: MinIO skipped: %v\n", err)
	} else {
		defer m.stop()
		stores = append(stores, namedStore{name: "minio", store: st})
	}

	data := benchdata.MNISTLike(8192, 256)
	runs, every, err := overhead(ctx, data, hidden, *interval, *perRun, stores)
	if err != nil {
		fail(err)
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
	rp, err := replay(ctx, data, hidden, *replaySteps, disk)
	if err != nil {
		fail(err)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "MLP 784-%s-10, Adam, batch %d; checkpoint every %d steps (~%v)\t\n", strings.ReplaceAll(*hiddenFlag, ",", "-"), batch, every, *interval)
	fmt.Fprintln(tw, "measure\tstore\tvalue\tagainst\tratio\t")
	base := baseline(runs)
	for _, r := range runs {
		if r.checkpoints == 0 {
			fmt.Fprintf(tw, "step time, no checkpoints\t%s\t%.1f ms\t\t\t\n", r.label, ms(r.meanStep))
			continue
		}
		fmt.Fprintf(tw, "step time, %d checkpoints\t%s\t%.1f ms\t%.1f ms\t%+.1f%%\t\n", r.checkpoints, r.label, ms(r.meanStep), ms(base), 100*(ms(r.meanStep)/ms(base)-1))
	}
	for _, ns := range stores {
		t := thr[ns.name]
		fmt.Fprintf(tw, "checkpoint write MB/s (%.0f MB, incl. verify)\t%s\t%.0f\t%.0f plain put\t%.2f\t\n", float64(t.bytes)/1e6, ns.name, t.ckptWrite, t.plainWrite, t.ckptWrite/t.plainWrite)
		fmt.Fprintf(tw, "checkpoint read MB/s (incl. hash, decode)\t%s\t%.0f\t%.0f plain get\t%.2f\t\n", ns.name, t.ckptRead, t.plainRead, t.ckptRead/t.plainRead)
	}
	fmt.Fprintf(tw, "replay %d steps\tdisk\t%.1f s\tidentical=%v\t\t\n", rp.steps, rp.took.Seconds(), rp.identical)
	tw.Flush()
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
