// Command dicomingest measures the DICOM ingest door end to end — parse,
// de-identify (PS3.15 Annex E), gate, resize, split by patient, shard into a
// local store — against the disk's own sequential read speed of the same
// files, measured in the same run:
//
//	go run ./bench/dicomingest [--files 2000] [--size 256] [--shape 64] [--dir DIR]
//
// The corpus comes from dicomtest (its images cycle through the pixel formats
// the reader supports: 16-bit with rescale, 8-bit, signed, big-endian,
// MONOCHROME1, RGB, JPEG, 32-bit). Before each timed pass every file is synced
// and dropped from the page cache (posix_fadvise DONTNEED), so both the plain
// read and the ingest start cold; a second, warm ingest shows the CPU-bound rate.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/storage"
)

func main() {
	files := flag.Int("files", 2000, "images to generate (rounded to whole patients of 10 images)")
	size := flag.Int("size", 256, "rows = columns of each image")
	shape := flag.Int("shape", 64, "resize target H = W")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed after)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the warm ingest to this file")
	flag.Parse()
	cpuProfile = *profile
	if err := run(*files, *size, *shape, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(files, size, shape int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "dicomingest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	corpus := filepath.Join(dir, "corpus")
	const perPatient = 10
	start := time.Now()
	truth, err := dicomtest.Write(corpus, dicomtest.Config{Patients: max(1, files/perPatient), StudiesPerPatient: 2, ImagesPerSeries: perPatient / 2, Size: size, Seed: 1})
	if err != nil {
		return err
	}
	paths, total, err := dicomFiles(corpus, truth.Files)
	if err != nil {
		return err
	}
	fmt.Printf("corpus: %d files, %.1f MB (%d×%d), generated in %v\n", len(paths), mb(total), size, size, time.Since(start).Round(time.Millisecond))
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	if err := dropCache(paths); err != nil {
		return err
	}
	start = time.Now()
	if err := readAll(paths); err != nil {
		return err
	}
	readTime := time.Since(start)
	readMBs := mb(total) / readTime.Seconds()
	fmt.Printf("\n%-34s %9s %10s %10s %8s\n", "pass", "time", "files/s", "MB/s", "vs read")
	row := func(name string, d time.Duration) {
		fmt.Printf("%-34s %9v %10.0f %10.1f %7.2f×\n", name, d.Round(time.Millisecond), float64(len(paths))/d.Seconds(), mb(total)/d.Seconds(), (mb(total)/d.Seconds())/readMBs)
	}
	row("plain read, cold (disk)", readTime)

	key := filepath.Join(dir, "hmac.key")
	if err := os.WriteFile(key, []byte("bench-key-0123456789abcdef-0123456789abcdef"), 0o600); err != nil {
		return err
	}
	spec, err := deid.ParseIngestSpec([]byte(fmt.Sprintf(`name: dicom-bench
input: {path: %q, format: dicom}
label: {classes: ["0", "1"]}
k: 5
dicom:
  shape: [1, %d, %d]
  label: {csv: %q, patient_column: patient_id, label_column: label}
  quasi_identifiers: [PatientSex]
  subgroups: [PatientSex]
`, corpus, shape, shape, filepath.Join(corpus, "labels.csv"))))
	if err != nil {
		return err
	}
	for pass, cold := range []bool{true, false} {
		if cold {
			if err := dropCache(paths); err != nil {
				return err
			}
		}
		store, err := storage.NewFileStore(filepath.Join(dir, fmt.Sprintf("store%d", pass)))
		if err != nil {
			return err
		}
		if !cold && cpuProfile != "" {
			f, err := os.Create(cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer f.Close()
		}
		start = time.Now()
		res, err := ingest.Ingest(context.Background(), ingest.Config{Spec: spec, KeyPath: key, Store: store, Registrar: ingest.NewLocalRegistry(store),
			Seed: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			if res != nil && res.Report != nil {
				fmt.Print(res.Report.Summary())
			}
			return err
		}
		if !cold && cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		name := "ingest end to end, cold"
		if !cold {
			name = "ingest end to end, warm cache"
		}
		row(name, time.Since(start))
		if pass == 0 {
			m := res.Manifest
			fmt.Printf("%-34s train %d, validation %d, test %d records; %d shards\n", "", m.Split.Train.Records, m.Split.Validation.Records, m.Split.Test.Records,
				len(m.Split.Train.Shards)+len(m.Split.Validation.Shards)+len(m.Split.Test.Shards))
		}
	}
	return nil
}

// dicomFiles lists the image files in the reader's order (sorted paths) and their bytes.
func dicomFiles(root string, files map[string]dicomtest.File) ([]string, int64, error) {
	var paths []string
	var total int64
	for rel := range files {
		paths = append(paths, filepath.Join(root, filepath.FromSlash(rel)))
	}
	sort.Strings(paths)
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, 0, err
		}
		total += info.Size()
	}
	return paths, total, nil
}

// dropCache syncs each file and asks the kernel to drop its cached pages.
func dropCache(paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if err == nil {
			err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("drop %s from the page cache: %w", p, err)
		}
	}
	return nil
}

// readAll reads every file once, in order, as the reader does (whole files).
func readAll(paths []string) error {
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.Discard, f, buf)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// cpuProfile is where --cpuprofile writes.
var cpuProfile string

func mb(n int64) float64 { return float64(n) / 1e6 }
