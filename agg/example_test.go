package agg_test

import (
	"fmt"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/sketch"
)

type Req struct {
	User    string
	Path    string
	Latency float64 // milliseconds
	At      time.Time
}

var reqs = []Req{
	{"ann", "/", 12, time.Unix(10, 0)},
	{"bob", "/a", 30, time.Unix(11, 0)},
	{"ann", "/", 8, time.Unix(12, 0)},
	{"cid", "/b", 95, time.Unix(9, 0)},
	{"bob", "/", 20, time.Unix(13, 0)},
}

// run folds reqs through a, the way a window operator does, and returns the
// result.
func run[A, R any](a agg.Aggregator[Req, A, R]) R {
	acc := a.Init()
	for _, r := range reqs {
		a.Add(&acc, r, r.At.UnixNano())
	}
	return a.Result(&acc)
}

func ExampleCount() {
	fmt.Println(run(agg.Count[Req]()))
	// Output: 5
}

func ExampleSum() {
	fmt.Println(run(agg.Sum(func(r Req) float64 { return r.Latency })))
	// Output: 165
}

func ExampleMean() {
	lat := func(r Req) float64 { return r.Latency }
	fmt.Printf("mean=%.1f stddev=%.1f min=%v max=%v\n",
		run(agg.Mean(lat)), run(agg.StdDev(lat)), run(agg.Min(lat)), run(agg.Max(lat)))
	// Output: mean=33.0 stddev=31.9 min=8 max=95
}

func ExampleFirst() {
	user := func(r Req) string { return r.User }
	// By event time, not arrival: cid's request is the earliest.
	fmt.Println(run(agg.First(user)), run(agg.Last(user)))
	// Output: cid bob
}

func ExampleDistinct() {
	user := func(r Req) string { return r.User }
	fmt.Println(run(agg.Distinct(user)), run(agg.DistinctExact(user)))
	// Output: 3 3
}

func ExamplePercentile() {
	lat := func(r Req) float64 { return r.Latency }
	fmt.Printf("p50=%.1f\n", run(agg.Percentile(lat, 50)))
	fmt.Printf("%.1f\n", run(agg.Quantiles(lat, []float64{0, 1})))
	// Within 1 % of the exact 20, 8 and 95:
	// Output:
	// p50=19.9
	// [7.9 94.6]
}

func ExampleTopK() {
	for _, it := range run(agg.TopK(2, func(r Req) string { return r.Path })) {
		fmt.Println(it.Key, it.Count)
	}
	// Output:
	// / 3
	// /a 1
}

// Several aggregates in one pass, into one result struct.
func ExampleCombine3() {
	type Summary struct {
		Requests int64
		Users    uint64
		P99      float64
	}
	summary := agg.Combine3(
		agg.Count[Req](),
		agg.Distinct(func(r Req) string { return r.User }),
		agg.Percentile(func(r Req) float64 { return r.Latency }, 99),
		func(n int64, users uint64, p99 float64) Summary { return Summary{n, users, p99} },
	)
	// The p99 of 5 values is the value of rank floor(0.99*4) = 3: 30 (±1 %).
	s := run(summary)
	fmt.Printf("requests=%d users=%d p99=%.1f\n", s.Requests, s.Users, s.P99)
	// Output: requests=5 users=3 p99=30.3
}

// Partial accumulators merge: panes of a sliding window, or instances.
func ExampleAggregator_merge() {
	a := agg.Mean(func(r Req) float64 { return r.Latency })
	x, y := a.Init(), a.Init()
	for i, r := range reqs {
		if i%2 == 0 {
			a.Add(&x, r, r.At.UnixNano())
		} else {
			a.Add(&y, r, r.At.UnixNano())
		}
	}
	a.Merge(&x, &y)
	fmt.Println(a.Result(&x))
	// Output: 33
}

// Aggregators whose Merge can be undone implement Subtractor: a sliding
// window then keeps one aggregate per key, adds the panes entering and
// subtracts those leaving. A mean of integers keeps that path when built
// from Sum and Count; a mean of floats (agg.Mean) cannot subtract.
func ExampleSubtractor() {
	ms := func(r Req) int64 { return int64(r.Latency) }
	mean := agg.Combine2(agg.Sum(ms), agg.Count[Req](), func(sum, n int64) float64 {
		return float64(sum) / float64(n)
	})
	s, ok := mean.(agg.Subtractor[agg.Acc2[int64, int64]])
	fmt.Println("subtracts:", ok)
	// panes of two requests each, slid over: [0,1], then [1,2]
	pane := func(rs []Req) agg.Acc2[int64, int64] {
		acc := mean.Init()
		for _, r := range rs {
			mean.Add(&acc, r, r.At.UnixNano())
		}
		return acc
	}
	p0, p1, p2 := pane(reqs[0:2]), pane(reqs[2:4]), pane(reqs[4:5])
	w := mean.Init()
	mean.Merge(&w, &p0)
	mean.Merge(&w, &p1)
	fmt.Println(mean.Result(&w))
	mean.Merge(&w, &p2)
	s.Subtract(&w, &p0)
	fmt.Println(mean.Result(&w))
	_, ok = agg.Mean(func(r Req) float64 { return r.Latency }).(agg.Subtractor[agg.Moments])
	fmt.Println("float mean subtracts:", ok)
	// Output:
	// subtracts: true
	// 36.25
	// 41
	// float mean subtracts: false
}

// Accumulators serialize for checkpoints.
func ExampleCodec() {
	a := agg.Distinct(func(r Req) string { return r.User })
	acc := a.Init()
	for _, r := range reqs {
		a.Add(&acc, r, 0)
	}
	c := a.(agg.Codec[*sketch.HLL])
	data, _ := c.AppendAcc(nil, &acc)
	back, _ := c.DecodeAcc(data)
	fmt.Println(a.Result(&back))
	// Output: 3
}
