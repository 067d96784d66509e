package main

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// setCongestion sets the reference stream's TCP congestion control.
func setCongestion(tc *net.TCPConn, name string) error {
	rc, err := tc.SyscallConn()
	if err != nil {
		return fmt.Errorf("congestion %q: %w", name, err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, name)
	}); err != nil {
		return fmt.Errorf("congestion %q: %w", name, err)
	}
	if serr != nil {
		return fmt.Errorf("congestion %q: %w", name, serr)
	}
	return nil
}
