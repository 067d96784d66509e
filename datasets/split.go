package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Split holds the row indices of each part, each sorted ascending.
type Split struct {
	Train      []int
	Validation []int
	Test       []int
}

// splitStream is the PCG stream of the split's generator, fixed so that a seed
// alone decides the split (and other users of the same seed draw other numbers).
const splitStream = 0x5eed_5b17

// StratifiedSplit divides rows into train, validation and test with the given
// fractions (each ≥ 0, summing to 1 within 1e-9), separately within each class so
// every part keeps the class balance. It is a pure function of its arguments:
// per class, in class order, the class's rows are shuffled by a PCG generator
// seeded from seed, then the first rows go to train, the next to validation, the
// rest to test. Per-class counts use largest-remainder rounding, so they sum
// exactly and each is within one row of its fraction; then a class with at least
// three rows gives one row to any part with a positive fraction that would
// otherwise get none (taken from the largest part), so every class appears in
// every part.
func StratifiedSplit(y []int32, classes int, train, validation, test float64, seed uint64) (Split, error) {
	fracs := [3]float64{train, validation, test}
	for i, f := range fracs {
		if !(f >= 0 && f <= 1) {
			return Split{}, fmt.Errorf("stratified split: %w: %s fraction %v is not in [0, 1]", ErrOptions, partNames[i], f)
		}
	}
	if sum := train + validation + test; math.Abs(sum-1) > 1e-9 {
		return Split{}, fmt.Errorf("stratified split: %w: fractions sum to %v, not 1", ErrOptions, sum)
	}
	if classes < 1 {
		return Split{}, fmt.Errorf("stratified split: %w: %d classes", ErrOptions, classes)
	}
	byClass := make([][]int, classes)
	for i, c := range y {
		if c < 0 || int(c) >= classes {
			return Split{}, fmt.Errorf("stratified split: %w: row %d has class %d, want 0..%d", ErrOptions, i, c, classes-1)
		}
		byClass[c] = append(byClass[c], i)
	}

	rng := rand.New(rand.NewPCG(seed, splitStream))
	var s Split
	parts := [3]*[]int{&s.Train, &s.Validation, &s.Test}
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		counts := allocate(len(rows), fracs)
		start := 0
		for p, n := range counts {
			*parts[p] = append(*parts[p], rows[start:start+n]...)
			start += n
		}
	}
	for _, p := range parts {
		slices.Sort(*p)
	}
	return s, nil
}

var partNames = [3]string{"train", "validation", "test"}

// allocate splits n rows by fracs with largest-remainder rounding (ties go to the
// earlier part), then makes sure every part with a positive fraction gets a row
// when n ≥ 3.
func allocate(n int, fracs [3]float64) [3]int {
	var counts [3]int
	var rem [3]float64
	total := 0
	for i, f := range fracs {
		q := float64(n) * f
		counts[i] = int(math.Floor(q))
		rem[i] = q - float64(counts[i])
		total += counts[i]
	}
	for total < n {
		best := 0
		for i := 1; i < 3; i++ {
			if rem[i] > rem[best] {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
		total++
	}
	for total > n { // only from floating-point excess when fracs sum to 1+ε
		largest := slices.Index(counts[:], slices.Max(counts[:]))
		counts[largest]--
		total--
	}
	if n >= 3 {
		for i, f := range fracs {
			if f > 0 && counts[i] == 0 {
				largest := slices.Index(counts[:], slices.Max(counts[:]))
				counts[largest]--
				counts[i]++
			}
		}
	}
	return counts
}
