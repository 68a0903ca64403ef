//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package scratch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const name = "shopbot-export-"

// left makes a folder as a process killed mid-export leaves it: named, holding a file,
// locked by no one.
func left(t *testing.T, parent, n string, age time.Duration) string {
	t.Helper()
	path := filepath.Join(parent, n)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "customers.csv"), []byte("Lan,+84901234567\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-age)
	if err := os.Chtimes(path, then, then); err != nil {
		t.Fatal(err)
	}
	return path
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// A folder in use is kept, however old; one no process holds is removed, however new,
// with what it holds; a folder not locked yet is kept for a minute; other folders are
// not touched.
func TestSweepRemovesOnlyWhatNoProcessHolds(t *testing.T) {
	parent := t.TempDir()
	inUse, err := New(parent, name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(inUse.Path), name) || !exists(t, inUse.Path) {
		t.Fatalf("New made %q", inUse.Path)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(inUse.Path, old, old); err != nil {
		t.Fatal(err)
	}
	dead := left(t, parent, name+"123", 0)
	locking := left(t, parent, newPrefix(name)+"456", 10*time.Second)
	diedLocking := left(t, parent, newPrefix(name)+"789", 2*time.Minute)
	other := left(t, parent, "shopbot-bin-1", time.Hour)
	otherFile := filepath.Join(parent, name+"file")
	if err := os.WriteFile(otherFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	n, err := Sweep(parent, name)
	if err != nil || n != 2 {
		t.Errorf("Sweep removed %d (%v), want 2", n, err)
	}
	for path, want := range map[string]bool{inUse.Path: true, dead: false, locking: true, diedLocking: false, other: true, otherFile: true} {
		if got := exists(t, path); got != want {
			t.Errorf("%s there %v after the sweep, want %v", filepath.Base(path), got, want)
		}
	}

	// Its process done with it, the folder goes, and a sweep finds nothing more.
	if err := os.WriteFile(filepath.Join(inUse.Path, "orders.csv"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := inUse.Remove(); err != nil {
		t.Fatal(err)
	}
	if exists(t, inUse.Path) {
		t.Error("Remove left the folder")
	}
	if n, err := Sweep(parent, name); err != nil || n != 0 {
		t.Errorf("the second sweep removed %d (%v)", n, err)
	}
}

// A folder's lock goes with the process that made it, however it ends: a Dir dropped
// without Remove (its file closed as a killed process's would be) is swept.
func TestALockGoesWithItsHolder(t *testing.T) {
	parent := t.TempDir()
	d, err := New(parent, name)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := Sweep(parent, name); n != 0 {
		t.Fatalf("swept a folder in use")
	}
	d.lock.Close()
	if n, err := Sweep(parent, name); err != nil || n != 1 || exists(t, d.Path) {
		t.Errorf("Sweep removed %d (%v) of a folder no one holds", n, err)
	}
}

// Two folders made at once are each their own.
func TestFoldersAreEachTheirOwn(t *testing.T) {
	parent := t.TempDir()
	a, err := New(parent, name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(parent, name)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path == b.Path {
		t.Fatalf("both at %s", a.Path)
	}
	a.Remove()
	if !exists(t, b.Path) {
		t.Error("removing one removed the other")
	}
	b.Remove()
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("%d entries left", len(entries))
	}
}
