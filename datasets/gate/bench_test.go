package gate_test

import (
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/synth"
)

const benchRows = 100_000

// tableBytes is the size of the table as CSV text, roughly.
func tableBytes(header []string, rows [][]string) int {
	n := len(strings.Join(header, ",")) + 1
	for _, r := range rows {
		for _, c := range r {
			n += len(c) + 1
		}
	}
	return n
}

func benchCheck(b *testing.B, tab *gate.Table) {
	size := tableBytes(tab.Header, tab.Rows)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if _, err := gate.Check(b.Context(), tab); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tab.Rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCheckRaw scans 100k raw synthetic records: every column,
// identifiers and free-text notes included.
func BenchmarkCheckRaw(b *testing.B) {
	header, rows := synth.Generate(benchRows, 1)
	benchCheck(b, &gate.Table{Header: header, Rows: rows})
}

// BenchmarkCheckDeidentified scans the same records after the synth ingest
// spec's transforms, as ingest does, small-group check included.
func BenchmarkCheckDeidentified(b *testing.B) {
	header, rows := synth.Generate(benchRows, 1)
	spec, err := synth.Spec()
	if err != nil {
		b.Fatal(err)
	}
	ps, err := deid.NewPseudonymiser([]byte(strings.Repeat("benchmark-key-", 3)))
	if err != nil {
		b.Fatal(err)
	}
	res, err := deid.Apply(spec, header, rows, ps)
	if err != nil {
		b.Fatal(err)
	}
	benchCheck(b, res.GateTable(spec.K))
}

// BenchmarkScanCellLong scans one 1 MB free-text cell, to show the scan is
// linear in the cell length.
func BenchmarkScanCellLong(b *testing.B) {
	cell := strings.Repeat("NHS No 999 123 4567 seen by Sarah Patel at LS6 2AB, 12.5 mg/L. ", 16_000)
	b.SetBytes(int64(len(cell)))
	for b.Loop() {
		gate.ScanCell(cell)
	}
}
