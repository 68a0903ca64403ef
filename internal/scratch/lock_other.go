//go:build !unix

package scratch

import "os"

// lock cannot tell a folder in use from one left behind where there is no flock: every
// folder is held, and Sweep removes none.
func lock(f *os.File, wait bool) error {
	if wait {
		return nil
	}
	return errHeld
}
