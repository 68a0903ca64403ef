//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package scratch

import "os"

// hold holds nothing where there is no flock (nor a folder may be renamed or removed
// while open, as on Windows): a folder in use cannot be told from one left behind, so
// every folder counts as held, and Sweep removes none.
func hold(path string, wait bool) (*os.File, error) {
	if wait {
		return nil, nil
	}
	return nil, errHeld
}
