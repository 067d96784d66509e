//go:build !linux

package collective

import (
	"errors"
	"net"
)

// setCongestion is Linux-only; elsewhere the system default stays.
func setCongestion(*net.TCPConn, string) error {
	return errors.New("TCP_CONGESTION is only supported on linux")
}

func congestion(*net.TCPConn) string { return "" }
