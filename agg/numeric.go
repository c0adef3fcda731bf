package agg

import (
	"encoding/binary"
	"math"
)

// Count returns an Aggregator counting the values (of any type). Its
// accumulator is the count itself; the result of an empty accumulator is 0.
func Count[T any]() Aggregator[T, int64, int64] { return countAgg[T]{} }

type countAgg[T any] struct{}

func (countAgg[T]) Init() int64                  { return 0 }
func (countAgg[T]) Add(acc *int64, _ T, _ int64) { *acc++ }
func (countAgg[T]) Merge(dst, src *int64)        { *dst += *src }
func (countAgg[T]) Result(acc *int64) int64      { return *acc }
func (countAgg[T]) Reset(acc *int64)             { *acc = 0 }
func (countAgg[T]) Subtract(dst, src *int64)     { *dst -= *src }
func (countAgg[T]) AppendAcc(dst []byte, acc *int64) ([]byte, error) {
	return binary.AppendVarint(dst, *acc), nil
}
func (countAgg[T]) DecodeAcc(src []byte) (int64, error) { return done(readVarint(src)) }

// Sum returns an Aggregator summing f(v). The result of an empty accumulator
// is 0; integer sums wrap on overflow; a NaN or infinite float propagates
// (as in Go arithmetic). Sums of integers implement Subtractor, sums of
// floats do not.
func Sum[T any, N Number](f func(T) N) Aggregator[T, N, N] {
	if isFloat[N]() {
		return sumAgg[T, N]{f}
	}
	return intSumAgg[T, N]{sumAgg[T, N]{f}}
}

// intSumAgg is Sum over integers, which can subtract exactly.
type intSumAgg[T any, N Number] struct{ sumAgg[T, N] }

func (intSumAgg[T, N]) Subtract(dst, src *N) { *dst -= *src }

type sumAgg[T any, N Number] struct{ f func(T) N }

func (sumAgg[T, N]) Init() N                    { return 0 }
func (a sumAgg[T, N]) Add(acc *N, v T, _ int64) { *acc += a.f(v) }
func (sumAgg[T, N]) Merge(dst, src *N)          { *dst += *src }
func (sumAgg[T, N]) Result(acc *N) N            { return *acc }
func (sumAgg[T, N]) Reset(acc *N)               { *acc = 0 }
func (sumAgg[T, N]) AppendAcc(dst []byte, acc *N) ([]byte, error) {
	return appendNum(dst, *acc), nil
}
func (sumAgg[T, N]) DecodeAcc(src []byte) (N, error) { return done(readNum[N](src)) }

// Extremum is the accumulator of Min and Max: the extreme value so far and
// whether there was any value.
type Extremum[N Number] struct {
	v  N
	ok bool
}

// Value returns the extreme value and false if no value was added.
func (e Extremum[N]) Value() (N, bool) { return e.v, e.ok }

// Min returns an Aggregator of the smallest f(v). The result of an empty
// accumulator is 0 (use Extremum.Value to tell). A NaN propagates: once a
// NaN is added the result is NaN, as with Go's built-in min.
func Min[T any, N Number](f func(T) N) Aggregator[T, Extremum[N], N] {
	return extAgg[T, N]{f: f, max: false}
}

// Max returns an Aggregator of the largest f(v). The result of an empty
// accumulator is 0 (use Extremum.Value to tell). A NaN propagates: once a
// NaN is added the result is NaN, as with Go's built-in max.
func Max[T any, N Number](f func(T) N) Aggregator[T, Extremum[N], N] {
	return extAgg[T, N]{f: f, max: true}
}

type extAgg[T any, N Number] struct {
	f   func(T) N
	max bool
}

func (extAgg[T, N]) Init() Extremum[N] { return Extremum[N]{} }

func (a extAgg[T, N]) put(acc *Extremum[N], x N) {
	switch {
	case !acc.ok:
		acc.v, acc.ok = x, true
	case a.max:
		acc.v = max(acc.v, x)
	default:
		acc.v = min(acc.v, x)
	}
}

func (a extAgg[T, N]) Add(acc *Extremum[N], v T, _ int64) { a.put(acc, a.f(v)) }
func (a extAgg[T, N]) Merge(dst, src *Extremum[N]) {
	if src.ok {
		a.put(dst, src.v)
	}
}
func (extAgg[T, N]) Result(acc *Extremum[N]) N { return acc.v }
func (extAgg[T, N]) Reset(acc *Extremum[N])    { *acc = Extremum[N]{} }
func (extAgg[T, N]) AppendAcc(dst []byte, acc *Extremum[N]) ([]byte, error) {
	if !acc.ok {
		return append(dst, 0), nil
	}
	return appendNum(append(dst, 1), acc.v), nil
}
func (extAgg[T, N]) DecodeAcc(src []byte) (Extremum[N], error) {
	if len(src) == 1 && src[0] == 0 {
		return Extremum[N]{}, nil
	}
	if len(src) < 1 || src[0] != 1 {
		return done(Extremum[N]{}, nil, ErrCorrupt)
	}
	v, rest, err := readNum[N](src[1:])
	return done(Extremum[N]{v: v, ok: true}, rest, err)
}

// Moments is the accumulator of Mean, Variance, SampleVariance and StdDev:
// count, mean and sum of squared deviations, updated with Welford's method and
// merged with Chan et al.'s parallel formula (numerically stable; merge is
// exact up to floating-point rounding).
type Moments struct {
	n    float64
	mean float64
	m2   float64
}

// N returns the number of values.
func (m Moments) N() int64 { return int64(m.n) }

// Mean returns the mean, NaN if empty.
func (m Moments) Mean() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.mean
}

// Variance returns the population variance (divided by n), NaN if empty.
func (m Moments) Variance() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.m2 / m.n
}

// SampleVariance returns the sample variance (divided by n-1), NaN if fewer
// than two values.
func (m Moments) SampleVariance() float64 {
	if m.n < 2 {
		return math.NaN()
	}
	return m.m2 / (m.n - 1)
}

func (m *Moments) add(x float64) {
	m.n++
	d := x - m.mean
	m.mean += d / m.n
	m.m2 += d * (x - m.mean)
}

func (m *Moments) merge(o *Moments) {
	switch {
	case o.n == 0:
		return
	case m.n == 0:
		*m = *o
		return
	}
	n := m.n + o.n
	d := o.mean - m.mean
	m.mean += d * (o.n / n)
	m.m2 += o.m2 + d*d*(m.n*o.n/n)
	m.n = n
}

type momentKind uint8

const (
	kMean momentKind = iota
	kVar
	kSampleVar
	kStdDev
)

// Mean returns an Aggregator of the arithmetic mean of f(v). Empty: NaN. A
// NaN or infinite value makes the result NaN or infinite.
func Mean[T any, N Number](f func(T) N) Aggregator[T, Moments, float64] {
	return momentAgg[T, N]{f, kMean}
}

// Variance returns an Aggregator of the population variance of f(v)
// (Welford; Chan et al. merge). Empty: NaN; one value: 0. NaN propagates.
func Variance[T any, N Number](f func(T) N) Aggregator[T, Moments, float64] {
	return momentAgg[T, N]{f, kVar}
}

// SampleVariance returns an Aggregator of the sample variance of f(v)
// (divided by n-1). Fewer than two values: NaN. NaN propagates.
func SampleVariance[T any, N Number](f func(T) N) Aggregator[T, Moments, float64] {
	return momentAgg[T, N]{f, kSampleVar}
}

// StdDev returns an Aggregator of the population standard deviation of f(v),
// the square root of Variance. Empty: NaN. NaN propagates.
func StdDev[T any, N Number](f func(T) N) Aggregator[T, Moments, float64] {
	return momentAgg[T, N]{f, kStdDev}
}

type momentAgg[T any, N Number] struct {
	f    func(T) N
	kind momentKind
}

func (momentAgg[T, N]) Init() Moments                    { return Moments{} }
func (a momentAgg[T, N]) Add(acc *Moments, v T, _ int64) { acc.add(float64(a.f(v))) }
func (momentAgg[T, N]) Merge(dst, src *Moments)          { dst.merge(src) }
func (momentAgg[T, N]) Reset(acc *Moments)               { *acc = Moments{} }
func (a momentAgg[T, N]) Result(acc *Moments) float64 {
	switch a.kind {
	case kMean:
		return acc.Mean()
	case kVar:
		return acc.Variance()
	case kSampleVar:
		return acc.SampleVariance()
	default:
		return math.Sqrt(acc.Variance())
	}
}
func (momentAgg[T, N]) AppendAcc(dst []byte, acc *Moments) ([]byte, error) {
	return appendF64(appendF64(appendF64(dst, acc.n), acc.mean), acc.m2), nil
}
func (momentAgg[T, N]) DecodeAcc(src []byte) (Moments, error) {
	var m Moments
	var err error
	if m.n, src, err = readF64(src); err != nil {
		return done(m, nil, err)
	}
	if m.mean, src, err = readF64(src); err != nil {
		return done(m, nil, err)
	}
	m.m2, src, err = readF64(src)
	if err == nil && !(m.n >= 0 && m.n == math.Trunc(m.n)) {
		err = ErrCorrupt
	}
	return done(m, src, err)
}
