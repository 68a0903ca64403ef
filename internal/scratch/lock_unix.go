//go:build unix

package scratch

import (
	"errors"
	"os"
	"syscall"
)

// lock takes f's exclusive lock, waiting for it if wait, else failing with errHeld while
// another holds it. The lock lasts while f is open in this process.
func lock(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errHeld
		default:
			return err
		}
	}
}
