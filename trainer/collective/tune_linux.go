package collective

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// SetCongestion sets the connection's TCP congestion control (TCP_CONGESTION); the
// ring uses it on its links and the benchmark on its reference stream.
func SetCongestion(tc *net.TCPConn, name string) error {
	rc, err := tc.SyscallConn()
	if err != nil {
		return fmt.Errorf("set congestion %q: %w", name, err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, name)
	}); err != nil {
		return fmt.Errorf("set congestion %q: %w", name, err)
	}
	if serr != nil {
		return fmt.Errorf("set congestion %q: %w", name, serr)
	}
	return nil
}

// congestion returns the connection's TCP congestion control, or "".
func congestion(tc *net.TCPConn) string {
	rc, err := tc.SyscallConn()
	if err != nil {
		return ""
	}
	var name string
	_ = rc.Control(func(fd uintptr) {
		name, _ = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
	})
	return name
}
