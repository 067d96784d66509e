package gang

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// waitid's idtype for a single pid; the syscall package does not export it.
const pPID = 1

// waitExited blocks until the child pid has exited but does not reap it: the zombie
// keeps its pid, and so its process-group id, reserved. The gang can therefore still
// signal the rank's group by that id without any risk that the number has been reused
// by an unrelated process.
func waitExited(pid int) error {
	var info [128]byte // siginfo_t; the caller reads the status when it reaps
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return errno
		}
	}
}

// markedProcesses returns the pids, other than this process, whose environment holds
// the entry marker ("DXTRAIN_ATTEMPT_ID=att-…"). A process that has exited has an
// empty environ, so zombies are never returned; neither are processes this user may
// not inspect.
func markedProcesses(marker string) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	want := []byte(marker)
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue // gone, or not ours to read
		}
		if hasEntry(env, want) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// hasEntry reports whether the NUL-separated environ holds exactly entry.
func hasEntry(environ, entry []byte) bool {
	for len(environ) > 0 {
		kv, rest, _ := bytes.Cut(environ, []byte{0})
		if bytes.Equal(kv, entry) {
			return true
		}
		environ = rest
	}
	return false
}
