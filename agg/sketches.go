package agg

import (
	"cmp"
	"fmt"
	"math"

	"github.com/weirhq/weir/sketch"
)

// Option configures the sketch-backed aggregators (Distinct, DistinctHash,
// Quantiles, Percentile, TopK); an option that does not apply to an
// aggregator is ignored.
type Option struct{ apply func(*config) }

type config struct {
	precision uint8
	accuracy  float64
	maxBins   int
	capacity  int
}

// WithPrecision sets the HLL precision of Distinct and DistinctHash, in
// [4, 18] (default 14: 0.81 % standard error, 16 KiB dense).
func WithPrecision(p uint8) Option { return Option{func(c *config) { c.precision = p }} }

// WithRelativeAccuracy sets the relative accuracy of Quantiles and
// Percentile, in (0, 1) (default 0.01).
func WithRelativeAccuracy(alpha float64) Option {
	return Option{func(c *config) { c.accuracy = alpha }}
}

// WithMaxBins sets the DDSketch bin limit per sign of Quantiles and
// Percentile (default 2048).
func WithMaxBins(n int) Option { return Option{func(c *config) { c.maxBins = n }} }

// WithCapacity sets the number of Space-Saving counters of TopK (default
// max(10k, 100)); it must be >= k.
func WithCapacity(n int) Option { return Option{func(c *config) { c.capacity = n }} }

func configure(opts []Option) config {
	var c config
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&c)
		}
	}
	return c
}

func must(err error) {
	if err != nil {
		panic("agg: " + err.Error())
	}
}

// Distinct returns an Aggregator of the approximate number of distinct f(v),
// hashed with sketch.Hash, in a sketch.HLL (default precision 14: relative
// standard error 0.81 %, exact-ish below 2,048 values; see sketch.HLL for
// memory and cost). Result is cached between changes. It panics on an
// invalid WithPrecision. Merge panics if the accumulators' precisions differ
// (they cannot, when both come from the same Aggregator).
func Distinct[T any, V sketch.Key](f func(T) V, opts ...Option) Aggregator[T, *sketch.HLL, uint64] {
	return DistinctHash(func(v T) uint64 { return sketch.Hash(f(v)) }, opts...)
}

// DistinctHash is Distinct for values that are already hashed: f returns a
// deterministic 64-bit hash (a sketch.Hasher's Hash64, or the sketch.Hash*
// helpers).
func DistinctHash[T any](f func(T) uint64, opts ...Option) Aggregator[T, *sketch.HLL, uint64] {
	c := configure(opts)
	_, err := sketch.NewHLL(c.precision)
	must(err)
	return hllAgg[T]{f: f, p: c.precision}
}

type hllAgg[T any] struct {
	f func(T) uint64
	p uint8
}

func (a hllAgg[T]) Init() *sketch.HLL {
	h, _ := sketch.NewHLL(a.p)
	return h
}

func (a hllAgg[T]) Add(acc **sketch.HLL, v T, _ int64) {
	if *acc == nil {
		*acc = a.Init()
	}
	(*acc).Add(a.f(v))
}

func (a hllAgg[T]) Merge(dst, src **sketch.HLL) {
	if *dst == nil {
		*dst = a.Init()
	}
	must((*dst).Merge(*src))
}

func (hllAgg[T]) Result(acc **sketch.HLL) uint64 {
	if *acc == nil {
		return 0
	}
	return (*acc).Estimate()
}

func (hllAgg[T]) Reset(acc **sketch.HLL) {
	if *acc != nil {
		(*acc).Reset()
	}
}

func (a hllAgg[T]) AppendAcc(dst []byte, acc **sketch.HLL) ([]byte, error) {
	if *acc == nil {
		*acc = a.Init()
	}
	return (*acc).AppendBinary(dst)
}

func (a hllAgg[T]) DecodeAcc(src []byte) (*sketch.HLL, error) {
	h := a.Init()
	if err := h.UnmarshalBinary(src); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if h.Precision() != a.Init().Precision() {
		return nil, fmt.Errorf("%w: HLL precision %d", ErrCorrupt, h.Precision())
	}
	return h, nil
}

// Quantiles returns an Aggregator of the quantiles qs (each in [0, 1], e.g.
// 0.5, 0.99) of f(v), in a sketch.Quantiles (DDSketch; default relative
// accuracy 1 %: each result is within 1 % of the exact quantile's value).
// The result is a new slice in the order of qs; for an empty accumulator its
// values are NaN. NaN and infinite inputs are not counted. It panics on a q
// outside [0, 1] or an invalid option.
func Quantiles[T any, N Number](f func(T) N, qs []float64, opts ...Option) Aggregator[T, *sketch.Quantiles, []float64] {
	for _, q := range qs {
		if !(q >= 0 && q <= 1) {
			panic(fmt.Sprintf("agg: quantile %v outside [0, 1]", q))
		}
	}
	return quantAgg[T, N]{qAgg: newQAgg(opts), f: f, qs: append([]float64(nil), qs...)}
}

// Percentile returns an Aggregator of the p-th percentile (p in [0, 100],
// e.g. 99 or 99.9) of f(v): Quantiles with the single quantile p/100. Empty:
// NaN. It panics on p outside [0, 100] or an invalid option.
func Percentile[T any, N Number](f func(T) N, p float64, opts ...Option) Aggregator[T, *sketch.Quantiles, float64] {
	if !(p >= 0 && p <= 100) {
		panic(fmt.Sprintf("agg: percentile %v outside [0, 100]", p))
	}
	return pctAgg[T, N]{qAgg: newQAgg(opts), f: f, q: p / 100}
}

type qAgg struct {
	accuracy float64
	maxBins  int
}

func newQAgg(opts []Option) qAgg {
	c := configure(opts)
	_, err := sketch.NewQuantiles(c.accuracy, c.maxBins)
	must(err)
	return qAgg{c.accuracy, c.maxBins}
}

func (a qAgg) Init() *sketch.Quantiles {
	q, _ := sketch.NewQuantiles(a.accuracy, a.maxBins)
	return q
}

func (a qAgg) Merge(dst, src **sketch.Quantiles) {
	if *dst == nil {
		*dst = a.Init()
	}
	if *src != nil {
		must((*dst).Merge(*src))
	}
}

func (qAgg) Reset(acc **sketch.Quantiles) {
	if *acc != nil {
		(*acc).Reset()
	}
}

func (a qAgg) AppendAcc(dst []byte, acc **sketch.Quantiles) ([]byte, error) {
	if *acc == nil {
		*acc = a.Init()
	}
	return (*acc).AppendBinary(dst)
}

func (a qAgg) DecodeAcc(src []byte) (*sketch.Quantiles, error) {
	q := a.Init()
	if err := q.UnmarshalBinary(src); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := a.Init().Merge(q); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return q, nil
}

type quantAgg[T any, N Number] struct {
	qAgg
	f  func(T) N
	qs []float64
}

func (a quantAgg[T, N]) Add(acc **sketch.Quantiles, v T, _ int64) {
	if *acc == nil {
		*acc = a.Init()
	}
	(*acc).Add(float64(a.f(v)))
}

func (a quantAgg[T, N]) Result(acc **sketch.Quantiles) []float64 {
	out := make([]float64, len(a.qs))
	for i, q := range a.qs {
		if *acc == nil {
			out[i] = sketchNaN()
		} else {
			out[i] = (*acc).Quantile(q)
		}
	}
	return out
}

type pctAgg[T any, N Number] struct {
	qAgg
	f func(T) N
	q float64
}

func (a pctAgg[T, N]) Add(acc **sketch.Quantiles, v T, _ int64) {
	if *acc == nil {
		*acc = a.Init()
	}
	(*acc).Add(float64(a.f(v)))
}

func (a pctAgg[T, N]) Result(acc **sketch.Quantiles) float64 {
	if *acc == nil {
		return sketchNaN()
	}
	return (*acc).Quantile(a.q)
}

func sketchNaN() float64 { return math.NaN() }

// TopK returns an Aggregator of the k most frequent f(v) with their counts,
// in a Space-Saving sketch.TopK with WithCapacity counters (default
// max(10k, 100)): each Count is an upper bound of the true count and
// Count-Err a lower bound, off by at most n/capacity. The result is a new
// slice of at most k items, by descending count (ties: ascending key); empty
// for an empty accumulator. It panics on k < 1 or a capacity < k.
func TopK[T any, K cmp.Ordered](k int, f func(T) K, opts ...Option) Aggregator[T, *sketch.TopK[K], []sketch.Item[K]] {
	c := configure(opts)
	if c.capacity == 0 {
		c.capacity = max(10*k, 100)
	}
	if k < 1 || c.capacity < k {
		panic(fmt.Sprintf("agg: TopK k=%d capacity=%d", k, c.capacity))
	}
	_, err := sketch.NewTopK[K](c.capacity)
	must(err)
	return topAgg[T, K]{k: k, capacity: c.capacity, f: f}
}

type topAgg[T any, K cmp.Ordered] struct {
	k, capacity int
	f           func(T) K
}

func (a topAgg[T, K]) Init() *sketch.TopK[K] {
	s, _ := sketch.NewTopK[K](a.capacity)
	return s
}

func (a topAgg[T, K]) Add(acc **sketch.TopK[K], v T, _ int64) {
	if *acc == nil {
		*acc = a.Init()
	}
	(*acc).Add(a.f(v), 1)
}

func (a topAgg[T, K]) Merge(dst, src **sketch.TopK[K]) {
	if *dst == nil {
		*dst = a.Init()
	}
	must((*dst).Merge(*src))
}

func (a topAgg[T, K]) Result(acc **sketch.TopK[K]) []sketch.Item[K] {
	if *acc == nil {
		return []sketch.Item[K]{}
	}
	return (*acc).Top(make([]sketch.Item[K], 0, a.k), a.k)
}

func (topAgg[T, K]) Reset(acc **sketch.TopK[K]) {
	if *acc != nil {
		(*acc).Reset()
	}
}

func (a topAgg[T, K]) AppendAcc(dst []byte, acc **sketch.TopK[K]) ([]byte, error) {
	if *acc == nil {
		*acc = a.Init()
	}
	return (*acc).AppendBinary(dst)
}

func (a topAgg[T, K]) DecodeAcc(src []byte) (*sketch.TopK[K], error) {
	s := a.Init()
	if err := s.UnmarshalBinary(src); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if s.Capacity() != a.capacity {
		return nil, fmt.Errorf("%w: TopK capacity %d, want %d", ErrCorrupt, s.Capacity(), a.capacity)
	}
	return s, nil
}
