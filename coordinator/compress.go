package coordinator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
)

// gzipAbove is the smallest answer worth compressing: a long run's series is hundreds
// of kB of JSON that shrinks about fivefold, a status answer is not.
const gzipAbove = 8 << 10

// writeAnswer writes a 200 JSON answer, gzipped when the client accepts it and it is
// large. Token answers never are: compressing a secret beside request-controlled
// text would let its length leak it (BREACH).
func writeAnswer(w http.ResponseWriter, r *http.Request, v any) {
	var body bytes.Buffer
	if err := json.NewEncoder(&body).Encode(v); err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Add("Vary", "Accept-Encoding")
	if body.Len() < gzipAbove || strings.HasPrefix(r.URL.Path, "/v1/acl/") ||
		!strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.WriteHeader(http.StatusOK)
		w.Write(body.Bytes())
		return
	}
	h.Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zw.Write(body.Bytes())
	zw.Close()
}
