// Package agg defines the Aggregator abstraction — Init, Add, Merge, Result
// over an accumulator mutated in place — and the built-in aggregators that
// windows, joins and users compose. It knows nothing of pipelines.
//
// # Built-ins
//
// Exact: Count, Sum, Min, Max, Mean, Variance, SampleVariance, StdDev
// (Welford, merged with Chan et al.'s formula), First and Last (by event
// time), DistinctExact (a map; small sets).
// Approximate, over package sketch: Distinct and DistinctHash (HyperLogLog),
// Quantiles and Percentile (DDSketch), TopK (Space-Saving).
// Combinators: Combine2, Combine3, Combine4 compute several aggregates in one
// pass into one result (nest them for more); Map post-processes a result.
//
// Constructors that take a value extractor are generic in the input type:
// agg.Sum(func(o Order) float64 { return o.Amount }) is an
// Aggregator[Order, float64, float64]. They panic on invalid configuration
// (a percentile outside [0, 100], a bad option), like regexp.MustCompile:
// configuration is a programming error caught when the pipeline is built.
//
// Count and Sum over integers also implement Subtractor, with which sliding
// windows slide one aggregate per key (two calls per slide) instead of
// keeping partial merges.
//
// Every built-in implements Resetter and Codec, and allocates nothing in Add
// (except DistinctExact when its map grows, and the sketch-backed ones while
// their storage grows: amortised well below one allocation per 100 adds).
// Merge is commutative and associative — exactly for the exact aggregators
// (up to floating-point rounding for Mean/Variance), and within the sketch's
// stated bounds otherwise (HLL and DDSketch merges are exact; TopK is exact
// until counters are evicted). First and Last resolve equal event times by
// arrival, and Merge treats dst as the earlier arrival.
//
// # Edge cases
//
// Empty accumulators: Count, Sum 0; Min, Max 0 (Extremum.Value tells);
// Mean, Variance, StdDev, Percentile, Quantiles NaN; First, Last the zero
// value (Stamped.Value tells); Distinct 0; TopK an empty slice. NaN inputs
// propagate through Sum, Min, Max, Mean, Variance and StdDev (as in Go
// arithmetic and the built-in min/max) and are not counted by Quantiles and
// Percentile.
//
// # Accumulator bytes (amd64)
//
//	Count, Sum[int64|float64]            8
//	Min, Max (Extremum[float64])         16
//	Mean, Variance, StdDev (Moments)     24
//	First, Last (Stamped[string])        32 (+ the string's bytes, shared)
//	DistinctExact[string]                ~50 per distinct value
//	Distinct (HLL, p = 14)               ~0.5 KiB empty, ~3 B per distinct value
//	                                     up to 2,048, then 17.7 KiB dense
//	Quantiles, Percentile (DDSketch 1 %)  ~0.3 KiB + 8 B per bin in the value
//	                                     range (1 ms..10 s: 3.7 KiB)
//	TopK[string], k = 10 (100 counters)  ~9.6 KiB
//	Combine2/3/4                         the sum of the components
//
// # Concurrency
//
// Aggregator values are immutable and safe for concurrent use; accumulators
// are owned by one goroutine at a time (the window task that holds them).
package agg
