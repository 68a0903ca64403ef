//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package scratch

import (
	"errors"
	"os"
	"syscall"
)

// hold opens the folder at path and takes its exclusive lock (flock), waiting for it if
// wait, else failing with errHeld while another holds it. The lock lasts while the file
// is open, in this process or, however it ends, not beyond it.
func hold(path string, wait bool) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return f, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			err = errHeld
		}
		f.Close()
		return nil, err
	}
}
