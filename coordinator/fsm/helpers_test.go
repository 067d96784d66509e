package fsm

import (
	"io"
	"strings"
)

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
