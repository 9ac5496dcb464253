//go:build unix

package ollamatest

import "syscall"

// sysProcAttr puts the server in its own process group, so Close can end its runners with it,
// and (on Linux) has the kernel kill it if the test binary dies first.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// killGroup sends SIGKILL to the process group led by pid (the server New started).
func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
