package agg

import (
	"testing"

	"github.com/weirhq/weir/sketch"
)

func FuzzAggLaws(f *testing.F) {
	f.Add(uint64(1), uint16(0))
	f.Add(uint64(2), uint16(7))
	f.Add(uint64(3), uint16(500))
	f.Add(uint64(4), uint16(3000))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		vs := events(seed, int(n%4000))
		lat := func(e event) float64 { return e.Latency }
		byt := func(e event) int64 { return e.Bytes }
		user := func(e event) string { return e.User }
		checkLaws(t, Count[event](), vs, evTS, eqExact[int64], true)
		checkLaws(t, Sum(byt), vs, evTS, eqExact[int64], true)
		checkLaws(t, Min(lat), vs, evTS, eqExact[float64], true)
		checkLaws(t, Max(lat), vs, evTS, eqExact[float64], true)
		checkLaws(t, Variance(lat), vs, evTS, eqFloat(1e-9), true)
		checkLaws(t, First(user), vs, evTS, eqExact[string], false)
		checkLaws(t, Last(byt), vs, evTS, eqExact[int64], false)
		checkLaws(t, DistinctExact(user), vs, evTS, eqExact[int], true)
		checkLaws(t, Distinct(byt), vs, evTS, eqExact[uint64], true)
		checkLaws(t, Percentile(lat, 99.9), vs, evTS, eqFloat(0), true)
	})
}

// FuzzDecodeAcc feeds arbitrary bytes to every decoder: errors, no panics.
func FuzzDecodeAcc(f *testing.F) {
	vs := events(1, 100)
	lat := func(e event) float64 { return e.Latency }
	user := func(e event) string { return e.User }
	c3 := Combine3(Count[event](), Distinct(user), Percentile(lat, 99), func(int64, uint64, float64) int { return 0 })
	acc := fold(c3, vs, evTS)
	b, _ := any(c3).(Codec[Acc3[int64, *sketchHLL, *sketchQ]]).AppendAcc(nil, &acc)
	f.Add(b)
	tk := TopK(3, user)
	ta := fold(tk, vs, evTS)
	b, _ = any(tk).(Codec[*sketchTopK]).AppendAcc(nil, &ta)
	f.Add(b)
	f.Add([]byte{1, 2, 'a', 'b'})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = any(c3).(Codec[Acc3[int64, *sketchHLL, *sketchQ]]).DecodeAcc(data)
		_, _ = any(tk).(Codec[*sketchTopK]).DecodeAcc(data)
		_, _ = any(First(user)).(Codec[Stamped[string]]).DecodeAcc(data)
		_, _ = any(DistinctExact(user)).(Codec[map[string]struct{}]).DecodeAcc(data)
		_, _ = any(Mean(lat)).(Codec[Moments]).DecodeAcc(data)
		_, _ = any(Min(lat)).(Codec[Extremum[float64]]).DecodeAcc(data)
		_, _ = any(Sum(func(e event) int8 { return 0 })).(Codec[int8]).DecodeAcc(data)
	})
}

type (
	sketchHLL  = sketch.HLL
	sketchQ    = sketch.Quantiles
	sketchTopK = sketch.TopK[string]
)
