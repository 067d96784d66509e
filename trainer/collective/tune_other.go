//go:build !linux

package collective

import (
	"errors"
	"net"
)

// SetCongestion is Linux-only: elsewhere it fails and the system default stays.
func SetCongestion(*net.TCPConn, string) error {
	return errors.New("TCP_CONGESTION is only supported on linux")
}

func congestion(*net.TCPConn) string { return "" }
