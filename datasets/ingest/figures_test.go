package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// TestFigures measures ingest throughput (raw CSV MB/s through read,
// de-identification, gate, conversion and the shard writer into a file
// store), loader throughput (samples/s delivered to the step loop) and the
// disk's sequential read speed, in one run on one directory. It is a
// measurement, not a check: run it with
//
//	DXTRAIN_FIGURES=1 go test -count=1 -v -run TestFigures ./datasets/ingest/
func TestFigures(t *testing.T) {
	if os.Getenv("DXTRAIN_FIGURES") == "" {
		t.Skip("a measurement of about a minute: set DXTRAIN_FIGURES=1 to run it")
	}
	const rows = 50_000
	dir := t.TempDir()
	csvPath, _ := writeSynthCSV(t, dir, rows, 1)
	info, err := os.Stat(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	mb := float64(info.Size()) / 1e6
	store := newStore(t)

	start := time.Now()
	res, err := Ingest(t.Context(), Config{SpecPath: synthSpecPath, InputPath: csvPath, KeyPath: writeKey(t, dir),
		Store: store, Registrar: NewLocalRegistry(store), Seed: 1, ShardBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ingest := time.Since(start)
	t.Logf("ingest: %d rows, %.1f MB raw CSV in %v: %.2f MB/s (%.0f rows/s), %d training shards",
		rows, mb, ingest.Round(time.Millisecond), mb/ingest.Seconds(), rows/ingest.Seconds(), len(res.Manifest.Split.Train.Shards))

	// The gate alone on the same de-identified table, for the breakdown.
	raw, err := readCSV(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := deid.LoadIngestSpec(synthSpecPath)
	ps, _ := deid.LoadKey(writeKey(t, t.TempDir()))
	dres, err := deid.Apply(spec, raw.header, raw.rows, ps)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := gate.Check(t.Context(), dres.GateTable(10)); err != nil {
		t.Fatal(err)
	}
	g := time.Since(start)
	t.Logf("  of which the gate alone: %v (%.2f MB/s of raw CSV)", g.Round(time.Millisecond), mb/g.Seconds())

	for _, tc := range []struct {
		name  string
		cache int64
	}{{"fetch+hash+decode every epoch", -1}, {"decoded shards cached", 0}} {
		l, err := shards.NewLoader(t.Context(), store, res.Manifest, shards.PartTrain,
			shards.LoaderConfig{World: 1, Seed: 1, BatchSize: 256, CacheBytes: tc.cache})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, l, 0) // warm the cache (and the page cache)
		start = time.Now()
		n := 0
		for e := 1; e <= 3; e++ {
			n += len(readAll(t, l, e))
		}
		d := time.Since(start)
		t.Logf("loader (%s): %d samples of %d features in %v: %.0f samples/s", tc.name, n, l.FeatureLen(), d.Round(time.Millisecond), float64(n)/d.Seconds())
	}
	imageLoader(t)
	diskRead(t, dir)
}

// imageLoader measures the loader on MNIST-sized records (1×28×28) in
// default 64 MiB shards, fetched, hashed and decoded every epoch.
func imageLoader(t *testing.T) {
	const n, f = 60_000, 28 * 28
	store := newStore(t)
	w, err := shards.NewWriter(shards.WriterConfig{Store: store, FeatureShape: []int{1, 28, 28}, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	recs := &shards.Records{X: make([]float32, n*f), Y: make([]int32, n), Subgroups: [][]int32{}}
	for i := range recs.X {
		recs.X[i] = float32(i%251) / 251
	}
	for i := range recs.Y {
		recs.Y[i] = int32(i % 10)
	}
	part, err := w.WritePart(t.Context(), shards.PartTrain, recs)
	if err != nil {
		t.Fatal(err)
	}
	m := &shards.Manifest{Version: shards.ManifestVersion, Name: "bench", Created: time.Unix(0, 0).UTC(),
		Schema: shards.Schema{Kind: shards.KindImage, FeatureShape: []int{1, 28, 28}, Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		Gate:   &gate.Report{Passed: true, Findings: []gate.Finding{}},
		Split: shards.Split{Train: part, Validation: shards.Part{LabelCounts: make([]int64, 10)},
			Test: shards.Part{LabelCounts: make([]int64, 10)}},
		Stats: shards.FeatureStats{Axis: shards.AxisChannel, Mean: []float64{0.5}, Std: []float64{0.3}}}
	l, err := shards.NewLoader(t.Context(), store, m, shards.PartTrain, shards.LoaderConfig{World: 1, Seed: 1, BatchSize: 128, CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, l, 0)
	start := time.Now()
	got := len(readAll(t, l, 1)) + len(readAll(t, l, 2))
	d := time.Since(start)
	t.Logf("loader (images 1×28×28, %d shards of ≤64 MiB, fetch+hash+decode every epoch): %d samples in %v: %.0f samples/s, %.0f MB/s of features",
		len(part.Shards), got, d.Round(time.Millisecond), float64(got)/d.Seconds(), float64(got)*f*4/1e6/d.Seconds())
}

// diskRead writes a 256 MiB file in dir and reads it back sequentially,
// with O_DIRECT when the file system allows it (bypassing the page cache),
// else through the page cache, and says which.
func diskRead(t *testing.T, dir string) {
	const size = 256 << 20
	const block = 4 << 20
	path := filepath.Join(dir, "seqread.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, block)
	for i := range buf {
		buf[i] = byte(i * 31)
	}
	for written := 0; written < size; written += block {
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	mode := "O_DIRECT (page cache bypassed)"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		mode = "page cache (O_DIRECT refused: " + err.Error() + "); this is memory speed, not the disk's"
		fd, err = unix.Open(path, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Close(fd)
	raw := make([]byte, block+4096)
	off := int(4096 - uintptr(unsafe.Pointer(&raw[0]))%4096)
	aligned := raw[off%4096 : off%4096+block]
	start := time.Now()
	total := 0
	for {
		n, err := unix.Read(fd, aligned)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	d := time.Since(start)
	var st unix.Statfs_t
	fsType := "unknown"
	if unix.Statfs(dir, &st) == nil {
		fsType = map[int64]string{0x01021994: "tmpfs", 0xEF53: "ext4", 0x58465342: "xfs", 0x794c7630: "overlayfs", 0x9123683E: "btrfs"}[int64(st.Type)]
	}
	t.Logf("disk sequential read: %d MiB in %v: %.0f MB/s via %s; file system %s",
		total>>20, d.Round(time.Millisecond), float64(total)/1e6/d.Seconds(), mode, fsType)
}
