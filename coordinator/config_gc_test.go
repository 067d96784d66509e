package coordinator

import (
	"strings"
	"testing"
	"time"
)

func TestConfigGCFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		yaml     string
		want     string // error substring; "" = valid
		grace    time.Duration
		interval time.Duration
		storeURL string
	}{
		{"defaults", "node_id: s1\n", "", time.Hour, time.Minute, ""},
		{"set", "gc_grace: 2s\ngc_interval: 100ms\nstore_url: file:///tmp/x\n", "", 2 * time.Second, 100 * time.Millisecond, "file:///tmp/x"},
		{"tiny grace", "gc_grace: 1ms\n", "gc_grace", 0, 0, ""},
		{"tiny interval", "gc_interval: 1ms\n", "gc_interval", 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte("insecure_plaintext: true\n" + tc.yaml))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v does not mention %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.GCGrace != tc.grace || cfg.GCInterval != tc.interval || cfg.StoreURL != tc.storeURL {
				t.Fatalf("gc_grace %v gc_interval %v store_url %q; want %v %v %q", cfg.GCGrace, cfg.GCInterval, cfg.StoreURL, tc.grace, tc.interval, tc.storeURL)
			}
		})
	}
}
