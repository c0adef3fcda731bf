package agg

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/weirhq/weir/sketch"
)

type event struct {
	User    string
	Latency float64
	Bytes   int64
	TS      int64
}

func events(seed uint64, n int) []event {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]event, n)
	for i := range out {
		out[i] = event{
			User:    "u" + string(rune('a'+r.IntN(26))) + string(rune('a'+r.IntN(26))),
			Latency: math.Exp(r.NormFloat64() + 3),
			Bytes:   r.Int64N(1 << 20),
			TS:      r.Int64N(1000), // many equal times: ties matter
		}
	}
	return out
}

func fold[T, A, R any](a Aggregator[T, A, R], vs []T, ts func(T) int64) A {
	acc := a.Init()
	for _, v := range vs {
		a.Add(&acc, v, ts(v))
	}
	return acc
}

func evTS(e event) int64 { return e.TS }

// checkLaws checks, for the split of vs into three runs: merge equals the
// single pass, commutativity (when comm), associativity, src unchanged,
// Reset, and the codec round trip, comparing results with eq.
func checkLaws[T, A, R any](t *testing.T, a Aggregator[T, A, R], vs []T, ts func(T) int64, eq func(R, R) bool, comm bool) {
	t.Helper()
	i, j := len(vs)/3, 2*len(vs)/3
	whole := fold(a, vs, ts)
	want := a.Result(&whole)
	require.True(t, eq(want, a.Result(&whole)), "Result is repeatable")
	part := func(k int) A {
		switch k {
		case 0:
			return fold(a, vs[:i], ts)
		case 1:
			return fold(a, vs[i:j], ts)
		}
		return fold(a, vs[j:], ts)
	}
	// (a b) c
	x, y, z := part(0), part(1), part(2)
	yBefore := a.Result(&y)
	a.Merge(&x, &y)
	require.True(t, eq(yBefore, a.Result(&y)), "src unchanged")
	a.Merge(&x, &z)
	require.True(t, eq(want, a.Result(&x)), "merge equals single pass: %v vs %v", want, a.Result(&x))
	// a (b c)
	x, y, z = part(0), part(1), part(2)
	a.Merge(&y, &z)
	a.Merge(&x, &y)
	require.True(t, eq(want, a.Result(&x)), "associative")
	if comm {
		x, y, z = part(0), part(1), part(2)
		a.Merge(&z, &y)
		a.Merge(&z, &x)
		require.True(t, eq(want, a.Result(&z)), "commutative")
	}
	// Merging empties changes nothing.
	e := a.Init()
	x = part(0)
	before := a.Result(&x)
	a.Merge(&x, &e)
	require.True(t, eq(before, a.Result(&x)), "merge with empty")
	// Codec.
	c := any(a).(Codec[A])
	for _, acc := range []A{whole, a.Init()} {
		b, err := c.AppendAcc([]byte("prefix"), &acc)
		require.NoError(t, err)
		back, err := c.DecodeAcc(b[len("prefix"):])
		require.NoError(t, err)
		require.True(t, eq(a.Result(&acc), a.Result(&back)), "codec round trip")
		_, err = c.DecodeAcc(append(b[len("prefix"):], 0))
		require.ErrorIs(t, err, ErrCorrupt, "trailing byte")
	}
	// Reset.
	empty := a.Init()
	any(a).(Resetter[A]).Reset(&whole)
	require.True(t, eq(a.Result(&empty), a.Result(&whole)), "reset")
}

func eqExact[R comparable](a, b R) bool { return a == b }

func eqFloat(tol float64) func(a, b float64) bool {
	return func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return math.Abs(a-b) <= tol*math.Max(1, math.Abs(a))
	}
}

func TestBuiltinLaws(t *testing.T) {
	for _, n := range []int{0, 1, 2, 10, 1000} {
		vs := events(uint64(n), n)
		lat := func(e event) float64 { return e.Latency }
		byt := func(e event) int64 { return e.Bytes }
		user := func(e event) string { return e.User }
		checkLaws(t, Count[event](), vs, evTS, eqExact[int64], true)
		checkLaws(t, Sum(byt), vs, evTS, eqExact[int64], true)
		checkLaws(t, Sum(lat), vs, evTS, eqFloat(1e-9), true)
		checkLaws(t, Min(lat), vs, evTS, eqExact[float64], true)
		checkLaws(t, Max(byt), vs, evTS, eqExact[int64], true)
		checkLaws(t, Mean(lat), vs, evTS, eqFloat(1e-9), true)
		checkLaws(t, Variance(lat), vs, evTS, eqFloat(1e-9), true)
		checkLaws(t, SampleVariance(byt), vs, evTS, eqFloat(1e-9), true)
		checkLaws(t, StdDev(lat), vs, evTS, eqFloat(1e-9), true)
		// First/Last: ties resolved by arrival, so merge in arrival order only.
		checkLaws(t, First(user), vs, evTS, eqExact[string], false)
		checkLaws(t, Last(user), vs, evTS, eqExact[string], false)
		checkLaws(t, DistinctExact(user), vs, evTS, eqExact[int], true)
		checkLaws(t, Distinct(user), vs, evTS, eqExact[uint64], true)
		checkLaws(t, DistinctHash(func(e event) uint64 { return sketch.HashInt64(e.Bytes) }), vs, evTS, eqExact[uint64], true)
		checkLaws(t, Percentile(lat, 99), vs, evTS, eqFloat(0), true)
		checkLaws(t, Quantiles(lat, []float64{0.5, 0.9, 0.99}), vs, evTS, func(a, b []float64) bool { return slices.EqualFunc(a, b, eqFloat(0)) }, true)
		checkLaws(t, TopK(3, user, WithCapacity(1000)), vs, evTS, slices.Equal[[]sketch.Item[string]], true)
		type sum struct {
			N     int64
			Users int
			P99   float64
		}
		checkLaws(t, Combine3(Count[event](), DistinctExact(user), Percentile(lat, 99),
			func(n int64, u int, p float64) sum { return sum{n, u, p} }), vs, evTS, func(a, b sum) bool { return a.N == b.N && a.Users == b.Users && eqFloat(0)(a.P99, b.P99) }, true)
		checkLaws(t, Combine2(Sum(byt), Max(lat), func(s int64, m float64) [2]float64 { return [2]float64{float64(s), m} }),
			vs, evTS, eqExact[[2]float64], true)
		checkLaws(t, Combine4(Count[event](), Min(byt), Max(byt), Mean(lat),
			func(n, lo, hi int64, m float64) [4]float64 {
				return [4]float64{float64(n), float64(lo), float64(hi), m}
			}),
			vs, evTS, func(a, b [4]float64) bool { return [3]float64(a[:3]) == [3]float64(b[:3]) && eqFloat(1e-9)(a[3], b[3]) }, true)
		checkLaws(t, Map(Count[event](), func(n int64) bool { return n > 5 }), vs, evTS, eqExact[bool], true)
	}
}

func TestBuiltinResults(t *testing.T) {
	vs := events(1, 10_000)
	var exactSum, minB, maxB int64 = 0, math.MaxInt64, math.MinInt64
	users := map[string]int{}
	lats := make([]float64, len(vs))
	var mean float64
	for i, e := range vs {
		exactSum += e.Bytes
		minB, maxB = min(minB, e.Bytes), max(maxB, e.Bytes)
		users[e.User]++
		lats[i] = e.Latency
		mean += e.Latency
	}
	mean /= float64(len(vs))
	var m2 float64
	for _, l := range lats {
		m2 += (l - mean) * (l - mean)
	}
	byt := func(e event) int64 { return e.Bytes }
	lat := func(e event) float64 { return e.Latency }
	user := func(e event) string { return e.User }
	c := Count[event]()
	acc := fold(c, vs, evTS)
	require.Equal(t, int64(len(vs)), c.Result(&acc))
	s := Sum(byt)
	sa := fold(s, vs, evTS)
	require.Equal(t, exactSum, s.Result(&sa))
	mn, mx := Min(byt), Max(byt)
	ma, xa := fold(mn, vs, evTS), fold(mx, vs, evTS)
	require.Equal(t, minB, mn.Result(&ma))
	require.Equal(t, maxB, mx.Result(&xa))
	me, va, sd, sv := Mean(lat), Variance(lat), StdDev(lat), SampleVariance(lat)
	mom := fold(me, vs, evTS)
	require.InEpsilon(t, mean, me.Result(&mom), 1e-12)
	require.InEpsilon(t, m2/float64(len(vs)), va.Result(&mom), 1e-9)
	require.InEpsilon(t, math.Sqrt(m2/float64(len(vs))), sd.Result(&mom), 1e-9)
	require.InEpsilon(t, m2/float64(len(vs)-1), sv.Result(&mom), 1e-9)
	de := DistinctExact(user)
	dea := fold(de, vs, evTS)
	require.Equal(t, len(users), de.Result(&dea))
	d := Distinct(user)
	da := fold(d, vs, evTS)
	require.Equal(t, uint64(len(users)), d.Result(&da)) // sparse: exact at this size
	p := Percentile(lat, 99)
	pa := fold(p, vs, evTS)
	sorted := slices.Clone(lats)
	slices.Sort(sorted)
	require.InEpsilon(t, sorted[int(0.99*float64(len(sorted)-1))], p.Result(&pa), 0.01)
	tk := TopK(3, user)
	ta := fold(tk, vs, evTS)
	top := tk.Result(&ta)
	require.Len(t, top, 3)
	exact := make([]string, 0, len(users))
	for u := range users {
		exact = append(exact, u)
	}
	slices.SortFunc(exact, func(a, b string) int {
		if c := cmp.Compare(users[b], users[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, it := range top {
		require.GreaterOrEqual(t, it.Count, uint64(users[it.Key]))
		require.LessOrEqual(t, it.Count-it.Err, uint64(users[it.Key]))
	}
}

func TestEmptyAndEdges(t *testing.T) {
	lat := func(v float64) float64 { return v }
	var none []float64
	ts := func(float64) int64 { return 0 }
	mn := Min(lat)
	acc := fold(mn, none, ts)
	require.Equal(t, 0.0, mn.Result(&acc))
	_, ok := acc.Value()
	require.False(t, ok)
	for _, a := range []Aggregator[float64, Moments, float64]{Mean(lat), Variance(lat), StdDev(lat), SampleVariance(lat)} {
		m := fold(a, none, ts)
		require.True(t, math.IsNaN(a.Result(&m)))
	}
	sv := SampleVariance(lat)
	one := fold(sv, []float64{3}, ts)
	require.True(t, math.IsNaN(sv.Result(&one)))
	v := Variance(lat)
	one = fold(v, []float64{3}, ts)
	require.Equal(t, 0.0, v.Result(&one))
	// NaN propagates through Min, Max, Sum, Mean.
	nan := []float64{1, math.NaN(), 2}
	for _, a := range []Aggregator[float64, Extremum[float64], float64]{Min(lat), Max(lat)} {
		x := fold(a, nan, ts)
		require.True(t, math.IsNaN(a.Result(&x)))
	}
	me := Mean(lat)
	m := fold(me, nan, ts)
	require.True(t, math.IsNaN(me.Result(&m)))
	// Percentile: NaN is not counted; empty is NaN.
	p := Percentile(lat, 50)
	pa := fold(p, none, ts)
	require.True(t, math.IsNaN(p.Result(&pa)))
	pa = fold(p, nan, ts)
	require.InEpsilon(t, 1.0, p.Result(&pa), 0.02)
	q := Quantiles(lat, []float64{0, 1})
	var nilAcc *sketch.Quantiles
	require.True(t, math.IsNaN(q.Result(&nilAcc)[0]))
	// TopK on empty.
	tk := TopK(5, func(v float64) int { return int(v) })
	ta := tk.Init()
	require.Empty(t, tk.Result(&ta))
	// First/Last ties.
	type kv struct {
		k  string
		ts int64
	}
	in := []kv{{"a", 5}, {"b", 5}, {"c", 7}, {"d", 7}, {"e", 1}}
	key := func(x kv) string { return x.k }
	f, l := First(key), Last(key)
	fa, la := fold(f, in, func(x kv) int64 { return x.ts }), fold(l, in, func(x kv) int64 { return x.ts })
	require.Equal(t, "e", f.Result(&fa))
	require.Equal(t, "d", l.Result(&la))
	fa = fold(f, in[:4], func(x kv) int64 { return x.ts })
	require.Equal(t, "a", f.Result(&fa)) // first arrival among ts 5
	_, fts, ok := fa.Value()
	require.True(t, ok)
	require.Equal(t, int64(5), fts)
	// Panics on bad configuration.
	require.Panics(t, func() { Percentile(lat, 101) })
	require.Panics(t, func() { Quantiles(lat, []float64{-1}) })
	require.Panics(t, func() { Distinct(lat, WithPrecision(30)) })
	require.Panics(t, func() { TopK(10, lat, WithCapacity(5)) })
	require.Panics(t, func() { Percentile(lat, 50, WithRelativeAccuracy(2)) })
	// Options apply.
	d := Distinct(lat, WithPrecision(10))
	require.Equal(t, uint8(10), d.Init().Precision())
	pq := Percentile(lat, 50, WithRelativeAccuracy(0.05), WithMaxBins(100))
	require.InDelta(t, 0.05, pq.Init().RelativeAccuracy(), 1e-9)
	require.Equal(t, 7, TopK(3, lat, WithCapacity(7)).Init().Capacity())
}

type opaque struct{ x int }

// point encodes itself, with pointer receivers.
type point struct{ X, Y int8 }

func (p *point) MarshalBinary() ([]byte, error) { return []byte{byte(p.X), byte(p.Y)}, nil }
func (p *point) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return ErrCorrupt
	}
	p.X, p.Y = int8(b[0]), int8(b[1])
	return nil
}

func TestCodecErrors(t *testing.T) {
	f := First(func(v opaque) opaque { return v })
	acc := fold(f, []opaque{{1}}, func(opaque) int64 { return 0 })
	_, err := any(f).(Codec[Stamped[opaque]]).AppendAcc(nil, &acc)
	require.ErrorIs(t, err, ErrNoCodec)
	// A combinator with a component lacking a Codec.
	c := Combine2(Count[int](), plain{}, func(a, b int64) int64 { return a + b })
	ca := c.Init()
	_, err = any(c).(Codec[Acc2[int64, int64]]).AppendAcc(nil, &ca)
	require.ErrorIs(t, err, ErrNoCodec)
	any(c).(Resetter[Acc2[int64, int64]]).Reset(&ca) // falls back to Init
	// Value kinds round-trip.
	roundTrip(t, First(func(v []byte) []byte { return v }), [][]byte{[]byte("xy")}, func(a, b []byte) bool { return string(a) == string(b) })
	roundTrip(t, Last(func(v bool) bool { return v }), []bool{true}, eqExact[bool])
	roundTrip(t, Last(func(v point) point { return v }), []point{{-1, 2}}, eqExact[point])
	roundTrip(t, Last(func(v int8) int8 { return v }), []int8{-5}, eqExact[int8])
	roundTrip(t, Last(func(v uint16) uint16 { return v }), []uint16{65535}, eqExact[uint16])
	roundTrip(t, Last(func(v float32) float32 { return v }), []float32{1.5}, eqExact[float32])
	roundTrip(t, Sum(func(v uint64) uint64 { return v }), []uint64{math.MaxUint64}, eqExact[uint64])
	roundTrip(t, Sum(func(v int8) int8 { return v }), []int8{-128}, eqExact[int8])
	roundTrip(t, Sum(func(v float32) float32 { return v }), []float32{0.1}, eqExact[float32])
	roundTrip(t, DistinctExact(func(v int) int { return v }), []int{1, 2, 2, 3}, eqExact[int])
}

func roundTrip[V, A, R any](t *testing.T, a Aggregator[V, A, R], vs []V, eq func(R, R) bool) {
	t.Helper()
	acc := fold(a, vs, func(V) int64 { return 0 })
	b, err := any(a).(Codec[A]).AppendAcc(nil, &acc)
	require.NoError(t, err)
	back, err := any(a).(Codec[A]).DecodeAcc(b)
	require.NoError(t, err)
	require.True(t, eq(a.Result(&acc), a.Result(&back)))
}

// plain is an Aggregator with neither Resetter nor Codec.
type plain struct{}

func (plain) Init() int64                    { return 0 }
func (plain) Add(acc *int64, _ int, _ int64) { *acc++ }
func (plain) Merge(dst, src *int64)          { *dst += *src }
func (plain) Result(acc *int64) int64        { return *acc }

// Add allocates nothing for the built-ins (steady state).
func TestAddAllocs(t *testing.T) {
	vs := events(1, 1024)
	lat := func(e event) float64 { return e.Latency }
	user := func(e event) string { return e.User }
	check := func(name string, add func(e event)) {
		for _, e := range vs { // warm up: grow storage
			add(e)
		}
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			add(vs[i%len(vs)])
			i++
		})
		require.Zero(t, allocs, name)
	}
	addOf := func(name string, f func() func(event)) { check(name, f()) }
	addOf("count", func() func(event) {
		a := Count[event]()
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
	addOf("sum", func() func(event) { a := Sum(lat); acc := a.Init(); return func(e event) { a.Add(&acc, e, e.TS) } })
	addOf("min", func() func(event) { a := Min(lat); acc := a.Init(); return func(e event) { a.Add(&acc, e, e.TS) } })
	addOf("stddev", func() func(event) { a := StdDev(lat); acc := a.Init(); return func(e event) { a.Add(&acc, e, e.TS) } })
	addOf("first", func() func(event) { a := First(user); acc := a.Init(); return func(e event) { a.Add(&acc, e, e.TS) } })
	addOf("last", func() func(event) { a := Last(user); acc := a.Init(); return func(e event) { a.Add(&acc, e, e.TS) } })
	addOf("distinctexact", func() func(event) {
		a := DistinctExact(user)
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
	addOf("distinct", func() func(event) {
		a := Distinct(user)
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
	addOf("percentile", func() func(event) {
		a := Percentile(lat, 99)
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
	addOf("topk", func() func(event) {
		a := TopK(10, user)
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
	addOf("combine3", func() func(event) {
		a := Combine3(Count[event](), Distinct(user), Percentile(lat, 99), func(int64, uint64, float64) int { return 0 })
		acc := a.Init()
		return func(e event) { a.Add(&acc, e, e.TS) }
	})
}

// TestSubtractor: Count and integer Sum implement Subtractor, and
// subtracting a part merged earlier, after other merges and subtractions,
// leaves exactly the aggregate of the rest (integer wrap-around included);
// float Sum does not implement it.
func TestSubtractor(t *testing.T) {
	checkSubtract(t, Count[event](), events(1, 300))
	checkSubtract(t, Sum(func(e event) int64 { return e.Bytes }), events(2, 300))
	big := events(3, 300)
	for i := range big {
		big[i].Bytes = math.MaxInt64 - int64(i) // sums wrap
	}
	checkSubtract(t, Sum(func(e event) int64 { return e.Bytes }), big)
	checkSubtract(t, Sum(func(e event) uint8 { return uint8(e.Bytes) }), big)
	if _, ok := Sum(func(e event) float64 { return e.Latency }).(Subtractor[float64]); ok {
		t.Fatal("float Sum implements Subtractor")
	}
	// combinators subtract when all their parts do
	byt := func(e event) int64 { return e.Bytes }
	checkSubtract(t, Map(Count[event](), func(n int64) int64 { return 2 * n }), events(4, 300))
	mean := func(s, n int64) int64 { return s / max(n, 1) }
	checkSubtract(t, Combine2(Sum(byt), Count[event](), mean), events(5, 300))
	checkSubtract(t, Combine3(Sum(byt), Count[event](), Sum(byt), func(a, b, c int64) [3]int64 { return [3]int64{a, b, c} }), events(6, 300))
	checkSubtract(t, Combine4(Sum(byt), Count[event](), Sum(byt), Count[event](), func(a, b, c, d int64) [4]int64 { return [4]int64{a, b, c, d} }), events(7, 300))
	lat := func(e event) float64 { return e.Latency }
	if _, ok := Combine2(Sum(byt), Sum(lat), func(int64, float64) int { return 0 }).(Subtractor[Acc2[int64, float64]]); ok {
		t.Fatal("Combine2 with a float Sum implements Subtractor")
	}
	if _, ok := Map(Max(byt), func(int64) int { return 0 }).(Subtractor[Extremum[int64]]); ok {
		t.Fatal("Map of Max implements Subtractor")
	}
}

func checkSubtract[R comparable, A any](t *testing.T, a Aggregator[event, A, R], vs []event) {
	t.Helper()
	s, ok := a.(Subtractor[A])
	if !ok {
		t.Fatalf("%T does not implement Subtractor", a)
	}
	// slide a window of 5 parts of 10 values over vs, as a sliding window
	// does with its panes, and compare with folding the window's values
	const part, width = 10, 5
	parts := make([]A, len(vs)/part)
	for i := range parts {
		parts[i] = fold(a, vs[i*part:(i+1)*part], evTS)
	}
	run := a.Init()
	for i := range parts {
		a.Merge(&run, &parts[i])
		if i >= width {
			s.Subtract(&run, &parts[i-width])
		}
		lo := max(0, i-width+1)
		want := fold(a, vs[lo*part:(i+1)*part], evTS)
		if g, w := a.Result(&run), a.Result(&want); g != w {
			t.Fatalf("%T: window of parts [%d, %d]: %v, want %v", a, lo, i, g, w)
		}
	}
}
