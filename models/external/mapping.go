package external

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// maxMappingSize bounds a mapping file.
const maxMappingSize = 1 << 20

// ParseMapping reads a column mapping file: one "card_input = local_column" per line,
// blank lines and lines starting with # ignored. It maps the card's input names to the
// trust's column names, for columns the trust calls something else.
func ParseMapping(data []byte, source string) (map[string]string, error) {
	if len(data) > maxMappingSize {
		return nil, fmt.Errorf("%s: %d bytes, at most %d", source, len(data), maxMappingSize)
	}
	out := map[string]string{}
	local := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxMappingSize)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		card, col, ok := strings.Cut(t, "=")
		card, col = strings.TrimSpace(card), strings.TrimSpace(col)
		switch {
		case !ok || card == "" || col == "":
			return nil, fmt.Errorf("%s:%d: want card_input = local_column", source, line)
		case out[card] != "":
			return nil, fmt.Errorf("%s:%d: card input %q is mapped twice", source, line, card)
		case local[col] != "":
			return nil, fmt.Errorf("%s:%d: local column %q is mapped to %q and %q", source, line, col, local[col], card)
		}
		out[card], local[col] = col, card
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return out, nil
}
