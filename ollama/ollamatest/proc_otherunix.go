//go:build unix && !linux

package ollamatest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
