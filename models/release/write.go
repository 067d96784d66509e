package release

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// WriteRelease puts the four files in dir, all or nothing: they are written into a
// temporary sibling directory, synced, and renamed to dir. dir may be absent or an
// empty directory; a dir that already holds exactly these files is left alone (a
// repeated pull succeeds); anything else there is ErrExists and is not touched.
//
// WriteRelease checks that the files are consistent (hashes, card, metadata) but not
// the signature, which needs the trusted key: call VerifyBytes first.
func WriteRelease(dir string, f Files) error {
	if err := checkUnsigned(f); err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	dir = filepath.Clean(dir)
	same, err := holdsRelease(dir, f)
	if err != nil || same {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // gone already after a successful rename
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	for _, name := range fileNames {
		if err := writeNew(filepath.Join(tmp, name), f.byName(name), 0o644); err != nil {
			return fmt.Errorf("write release %s: %w", dir, err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	os.Remove(dir) // an empty directory only; os.Rename will not replace a directory
	if err := os.Rename(tmp, dir); err != nil {
		// Someone else may have put a release there meanwhile: fine if it is this one.
		if same, herr := holdsRelease(dir, f); herr == nil && same {
			return nil
		} else if herr != nil {
			return herr
		}
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	if err := syncDir(parent); err != nil {
		return fmt.Errorf("write release %s: %w", dir, err)
	}
	return nil
}

// checkUnsigned runs the checks that do not need the trusted key.
func checkUnsigned(f Files) error {
	for _, name := range fileNames {
		if len(f.byName(name)) == 0 {
			return fmt.Errorf("%s: %w (or empty)", name, ErrMissingFile)
		}
	}
	if _, err := DecodeSignature(f.Signature); err != nil {
		return err
	}
	st, err := ParseStatement(f.Statement)
	if err != nil {
		return fmt.Errorf("%s: %w", StatementFile, err)
	}
	_, _, err = checkContents(f, st)
	return err
}

// holdsRelease reports whether dir already holds exactly f. It returns false for an
// absent or empty directory, and ErrExists when dir holds anything else.
func holdsRelease(dir string, f Files) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write release %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("write release %s: %w and is not a directory", dir, ErrExists)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("write release %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return false, nil
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	want := slices.Sorted(slices.Values(fileNames))
	if !slices.Equal(names, want) {
		return false, fmt.Errorf("write release %s: %w: the directory holds other files; choose an empty or new directory", dir, ErrExists)
	}
	for _, name := range fileNames {
		data, err := readRegular(filepath.Join(dir, name))
		if err != nil {
			return false, fmt.Errorf("write release %s: %s: %w", dir, name, err)
		}
		if !bytes.Equal(data, f.byName(name)) {
			return false, fmt.Errorf("write release %s: %w: it holds a different release (%s differs); releases are never overwritten", dir, ErrExists, name)
		}
	}
	return true, nil
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
