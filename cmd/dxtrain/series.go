package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// printSeries prints the last n points of an experiment's reported metrics as a
// table, one column per metric name (sorted), so a researcher sees the trend.
func printSeries(series []structs.SeriesPoint, n int) error {
	if len(series) == 0 {
		return nil
	}
	names := map[string]bool{}
	for _, p := range series {
		for k := range p.Metrics {
			names[k] = true
		}
	}
	cols := make([]string, 0, len(names))
	for k := range names {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	fmt.Printf("\nreported metrics (last %d of %d points kept):\n", min(n, len(series)), len(series))
	tw := newTable()
	fmt.Fprintf(tw, "STEP\t%s\n", strings.ToUpper(strings.Join(cols, "\t")))
	for _, p := range series[max(0, len(series)-n):] {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = "-"
			if v, ok := p.Metrics[c]; ok {
				row[i] = fmt.Sprintf("%.4g", v)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\n", p.Step, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println()
	return nil
}
