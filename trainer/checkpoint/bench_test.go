package checkpoint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// benchLive is the live state of the bench/checkpoint model: an MLP 784-2048-2048-10
// with Adam (~70 MB of float32 per checkpoint).
func benchLive(b *testing.B) (params, opt []*models.Param, net models.Network) {
	b.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{2048, 2048}, Classes: 10})
	if err != nil {
		b.Fatal(err)
	}
	params = models.InitParams(net, 1)
	o, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		b.Fatal(err)
	}
	opt = o.State()
	for i, p := range opt {
		for j := range p.Data {
			p.Data[j] = float32(i*31+j%977) * 1e-6
		}
	}
	return params, opt, net
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// deleteBlobs removes every blob so that the disk does not fill up across iterations.
func deleteBlobs(b *testing.B, store storage.Store) {
	b.Helper()
	infos, err := store.List(b.Context(), "blobs/")
	if err != nil {
		b.Fatal(err)
	}
	for _, info := range infos {
		if err := store.Delete(b.Context(), info.Key); err != nil {
			b.Fatal(err)
		}
	}
}

// childrenCPU is the CPU time so far of this process's child processes (the MinIO
// server a benchmark started), read from /proc.
func childrenCPU(b *testing.B) time.Duration {
	b.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var total time.Duration
	for _, path := range tasks {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, pid := range strings.Fields(string(raw)) {
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			if err != nil {
				continue
			}
			// Fields after the ")" that ends the command name: utime and stime are
			// fields 14 and 15 of the line, 12 and 13 after it.
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(f) < 13 {
				continue
			}
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
		}
	}
	return total
}

// BenchmarkSaveMinIO is one Save of a 70 MB checkpoint to a real MinIO on loopback.
// cpu-ms/op is this process (minio-go included); server-cpu-ms/op is the MinIO
// server's CPU for the same work.
func BenchmarkSaveMinIO(b *testing.B) {
	params, opt, net := benchLive(b)
	srv := miniotest.Start(b)
	store, err := s3.New(b.Context(), s3.Config{Config: srv.Config(), Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	st := &State{Experiment: "bench", WorldSize: 1, Network: net, Params: CloneTensors(params), Optimizer: CloneTensors(opt)}
	b.ReportAllocs()
	var cpu, server time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		deleteBlobs(b, store)
		st.Cursor.Step = int64(i)
		st.Params[0].Data[0] = float32(i) + 0.5
		i++
		c0, s0 := cpuTime(b), childrenCPU(b)
		b.StartTimer()
		if _, _, err := Save(b.Context(), store, st, time.Unix(0, 0)); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
		server += childrenCPU(b) - s0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/op")
	b.ReportMetric(float64(server.Microseconds())/1000/float64(i), "server-cpu-ms/op")
}

// BenchmarkSave is one Save of a 70 MB checkpoint to a local directory (encode, hash,
// upload, read back and verify). cpu-ms/op counts every goroutine of the process.
func BenchmarkSave(b *testing.B) {
	params, opt, net := benchLive(b)
	store, err := storage.NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := &State{Experiment: "bench", WorldSize: 1, Network: net, Params: CloneTensors(params), Optimizer: CloneTensors(opt)}
	b.ReportAllocs()
	var cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		deleteBlobs(b, store)
		st.Cursor.Step = int64(i)
		st.Params[0].Data[0] = float32(i) + 0.5 // a new blob every time: no upload is skipped
		i++
		c0 := cpuTime(b)
		b.StartTimer()
		if _, _, err := Save(b.Context(), store, st, time.Unix(0, 0)); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/op")
}

// BenchmarkCheckpoint is what one asynchronous checkpoint costs the process in a
// steady run: the snapshot the step loop takes (CloneTensors), then the writer's
// upload, verification and commit (Submit and Flush). Two checkpoints before the timed
// loop fill the snapshot pool, as the first checkpoints of a run do.
func BenchmarkCheckpoint(b *testing.B) {
	params, opt, net := benchLive(b)
	store, err := storage.NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	w := NewWriter(store, StoreLedger{Store: store}, nil)
	i := 0
	checkpoint := func() {
		params[0].Data[0] = float32(i) + 0.5 // a new blob every time: no upload is skipped
		i++
		st := &State{Experiment: "bench", Cursor: Cursor{Step: int64(i)}, WorldSize: 1, Network: net,
			Params: CloneTensors(params), Optimizer: CloneTensors(opt)}
		if err := w.Submit(b.Context(), st); err != nil {
			b.Fatal(err)
		}
	}
	checkpoint()
	checkpoint()
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var cpu, snap time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		deleteBlobs(b, store)
		c0 := cpuTime(b)
		b.StartTimer()
		t0 := time.Now()
		checkpoint()
		snap += time.Since(t0) // Submit returns at once: nothing is in flight
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
		n++
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/op")
	b.ReportMetric(float64(snap.Microseconds())/1000/float64(n), "snapshot-ms/op")
}
