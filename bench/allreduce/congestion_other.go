//go:build !linux

package main

import (
	"fmt"
	"net"
)

// setCongestion is Linux-only; elsewhere only the system default exists.
func setCongestion(_ *net.TCPConn, name string) error {
	return fmt.Errorf("congestion %q: TCP_CONGESTION is only supported on linux", name)
}
