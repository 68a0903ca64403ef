// Package scratch gives a process folders of its own for files on their way out (an
// export's CSVs: customers' names, phones and addresses), and removes those a process
// left behind when it was killed before it could remove them itself.
//
// A folder is locked (flock) while its process uses it; the lock goes with the process,
// however it ends. A folder is made under a name Sweep passes over and renamed once it is
// locked, so no sweep takes a folder between its making and its locking.
package scratch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// unlockedAfter is how long a folder may stay under its first name unlocked: the time
// between making and locking it, with room to spare. Older, it was left by a process
// that died in between, and holds nothing.
const unlockedAfter = time.Minute

// Dir is a folder of this process's, locked until Remove.
type Dir struct {
	Path string
	lock *os.File
}

// New makes a folder in parent (os.TempDir() if empty) named name followed by a random
// suffix, and locks it.
func New(parent, name string) (*Dir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	first, err := os.MkdirTemp(parent, newPrefix(name))
	if err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	f, err := hold(first, true)
	if err != nil {
		os.Remove(first)
		return nil, fmt.Errorf("scratch: lock %s: %w", first, err)
	}
	path := filepath.Join(parent, name+strings.TrimPrefix(filepath.Base(first), newPrefix(name)))
	if err := os.Rename(first, path); err != nil {
		if f != nil {
			f.Close()
		}
		os.Remove(first)
		return nil, fmt.Errorf("scratch: %w", err)
	}
	return &Dir{Path: path, lock: f}, nil
}

// Remove removes the folder and what it holds, then lets go of its lock.
func (d *Dir) Remove() error {
	err := os.RemoveAll(d.Path)
	if d.lock != nil {
		d.lock.Close()
	}
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	return nil
}

// Sweep removes the folders in parent (os.TempDir() if empty) that New made with name
// and that no process holds any more. It reports how many it removed; a folder it could
// not remove is an error, and the others are still swept.
func Sweep(parent, name string) (int, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0, fmt.Errorf("scratch: sweep: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		n := e.Name()
		made := strings.HasPrefix(n, name)
		unlocked := strings.HasPrefix(n, newPrefix(name))
		if !e.IsDir() || !made && !unlocked {
			continue
		}
		path := filepath.Join(parent, n)
		if unlocked {
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < unlockedAfter {
				continue // being locked now, or gone
			}
		}
		gone, err := sweepOne(path)
		if err != nil {
			errs = append(errs, err)
		}
		if gone {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// sweepOne removes the folder at path if no process holds its lock.
func sweepOne(path string) (bool, error) {
	f, err := hold(path, false)
	switch {
	case errors.Is(err, errHeld), errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		// In use; removed meanwhile (by its process, or another sweep); or another user's.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("scratch: sweep %s: %w", path, err)
	}
	defer f.Close()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed by another sweep before this one had the lock
	}
	if err := os.RemoveAll(path); err != nil {
		return false, fmt.Errorf("scratch: sweep: %w", err)
	}
	return true, nil
}

// newPrefix is the name a folder has from its making to its locking: hidden, and not
// starting with name.
func newPrefix(name string) string { return ".new-" + name }

// errHeld is a lock another process (or another Dir of this one) holds.
var errHeld = errors.New("held")
