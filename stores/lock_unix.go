//go:build unix

package stores

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFileName is the file under the data directory whose lock tells the processes that open an
// embedded store (shared: memsvc serve, mcp, keys) from one that rewrites it (exclusive: memsvc
// reembed).
const lockFileName = "memsvc.lock"

// errLocked is what lockData returns when another process holds a conflicting lock.
var errLocked = errors.New("locked")

// lockData takes the data directory's lock, shared or exclusive, without waiting, and returns
// its release.
func lockData(dir string, exclusive bool) (func() error, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("stores: create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("stores: open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("stores: lock %s: %w", f.Name(), err)
	}
	return f.Close, nil // closing the file releases the lock
}
