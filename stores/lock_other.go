//go:build !unix

package stores

import "errors"

var errLocked = errors.New("locked")

// lockData does nothing where flock is not available: there, memsvc reembed cannot tell that a
// service has the store open, and the operator must stop it first.
func lockData(dir string, exclusive bool) (func() error, error) {
	return func() error { return nil }, nil
}
