package dicom

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Stats counts what ReadDir met.
type Stats struct {
	Files   int   // image files read and passed to fn
	Skipped int   // files without the DICM preamble (READMEs, thumbnails)
	NoImage int   // DICOM files without pixel data (reports, presentation states, DICOMDIRs below root)
	Bytes   int64 // bytes of the image files read
}

// ReadDir reads every DICOM file under root (recursively; a DICOMDIR at
// root lists the files to read instead, by relative ReferencedFileID),
// de-identifies each unless opts.Raw, and calls fn in sorted path order.
// A file without the "DICM" preamble is skipped and counted; a DICOM file
// without pixel data is counted as NoImage; a malformed file is an error
// naming the file (never a value); an unsupported transfer syntax is
// refused by name and UID. fn's error stops the walk and is returned.
//
// Files are read and parsed on GOMAXPROCS goroutines (readahead.go), but
// fn is called on the caller's goroutine, one file at a time, in the same
// order and with the same outcome as reading one file after another: the
// first failing file in path order is the error, and fn never sees a file
// after it.
func ReadDir(root string, opts Options, fn func(*Instance) error) (Stats, error) {
	var st Stats
	s, err := opts.settings()
	if err != nil {
		return st, err
	}
	if fn == nil {
		fn = func(*Instance) error { return nil }
	}
	files, err := s.listFiles(root)
	if err != nil {
		return st, err
	}
	ra := s.readAhead(root, files, runtime.GOMAXPROCS(0))
	defer ra.stop()
	for _, rel := range files {
		r := ra.next()
		switch {
		case errors.Is(r.err, errNotDICOM):
			st.Skipped++
			continue
		case errors.Is(r.err, ErrNoPixels):
			st.NoImage++
			continue
		case r.err != nil:
			return st, fmt.Errorf("dicom: %s: %w", rel, r.err)
		}
		st.Files++
		st.Bytes += r.n
		if err := fn(r.inst); err != nil {
			return st, err
		}
	}
	return st, nil
}

// listFiles returns the slash-separated relative paths to read, sorted.
func (s *settings) listFiles(root string) ([]string, error) {
	entries, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.EqualFold(filepath.Base(e), "DICOMDIR") {
			return s.dicomdirFiles(root, e)
		}
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dicom: walk %s: %w", root, err)
	}
	sort.Strings(files)
	return files, nil
}

var (
	tagDirectoryRecordSequence = tag.Tag{Group: 0x0004, Element: 0x1220}
	tagReferencedFileID        = tag.Tag{Group: 0x0004, Element: 0x1500}
)

// dicomdirFiles reads the DICOMDIR at p and returns the files its records
// reference. A reference that leaves root (absolute, "..") is refused.
func (s *settings) dicomdirFiles(root, p string) ([]string, error) {
	name := filepath.Base(p)
	data, err := loadFile(p, s.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("dicom: %s: %w", name, err)
	}
	ds, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("dicom: %s: %w", name, err)
	}
	seen := map[string]bool{}
	var files []string
	for _, e := range ds.Elements {
		if e.Tag != tagDirectoryRecordSequence {
			continue
		}
		for i, it := range items(e) {
			var parts []string
			for _, x := range it {
				if x.Tag == tagReferencedFileID {
					parts = stringsOf(x)
				}
			}
			if len(parts) == 0 {
				continue
			}
			rel := path.Join(parts...)
			if rel != path.Clean(strings.Join(parts, "/")) || path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") || strings.ContainsAny(rel, `\:`) {
				return nil, fmt.Errorf("dicom: %s: %w: record %d references a file outside the directory", name, ErrMalformed, i)
			}
			if !seen[rel] {
				seen[rel] = true
				files = append(files, rel)
			}
		}
	}
	sort.Strings(files)
	return files, nil
}
