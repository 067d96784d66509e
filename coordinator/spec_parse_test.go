package coordinator

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	valid, err := os.ReadFile("../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml, field, inMsg string
	}{
		{"valid example", string(valid), "", ""},
		{"unknown key with line", strings.Replace(string(valid), "max_restarts:", "max_restartz:", 1), "max_restartz", "line 32"},
		{"max below min with line", strings.Replace(string(valid), "{min: 1, max: 1, device: cpu}", "{min: 3, max: 1, device: cpu}", 1), "workers.max", "line 31"},
		{"not yaml", "name: [x\n", "spec", "line"},
		{"empty", "", "spec", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, h, err := parseSpec([]byte(tc.yaml))
			if tc.field == "" {
				if err != nil || spec.Name != "wdbc-mlp" || h == "" {
					t.Fatalf("valid spec: %+v %q %v", spec, h, err)
				}
				return
			}
			var fe *structs.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, structs.ErrInvalid) {
				t.Fatalf("want a FieldError, got %v", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Message, tc.inMsg) {
				t.Fatalf("got field %q message %q, want field %q with %q", fe.Field, fe.Message, tc.field, tc.inMsg)
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte("name: a\nworkers:\n  min: 1\n  max: 2\n"))
	f.Add([]byte("name: [x\n"))
	f.Add([]byte("---\n- 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, _, err := parseSpec(data)
		if err == nil && spec.Name == "" {
			t.Fatal("accepted a spec without a name")
		}
		if err != nil && !errors.Is(err, structs.ErrInvalid) {
			t.Fatalf("error is not ErrInvalid: %v", err)
		}
	})
}
