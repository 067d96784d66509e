// Package python carries python/dxtrain, the Python side of the torch runtime, inside
// the dxtrain binary, so that an agent needs nothing installed but Python itself: it
// writes these files into each attempt's work directory and puts them on PYTHONPATH.
package python

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed dxtrain/*.py
var files embed.FS

// Install writes the dxtrain package under dir (as dir/dxtrain/…), for PYTHONPATH=dir.
func Install(dir string) error {
	return fs.WalkDir(files, "dxtrain", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return fmt.Errorf("install python package: %w", err)
		}
		return nil
	})
}
