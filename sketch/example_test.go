package sketch_test

import (
	"fmt"
	"time"

	"github.com/weirhq/weir/sketch"
)

func ExampleHLL() {
	a, _ := sketch.NewHLL(0) // precision 14: 0.81 % standard error
	b, _ := sketch.NewHLL(0)
	for i := range 60_000 {
		a.Add(sketch.HashInt64(int64(i)))
	}
	for i := 40_000; i < 100_000; i++ {
		b.Add(sketch.HashInt64(int64(i)))
	}
	_ = a.Merge(b) // the union: 100,000 distinct values
	est := a.Estimate()
	fmt.Println(est > 98_000 && est < 102_000)
	// Output: true
}

func ExampleBloom() {
	f, _ := sketch.NewBloom(1000, 0.01)
	f.Add(sketch.HashString("alice"))
	fmt.Println(f.Test(sketch.HashString("alice")), f.Test(sketch.HashString("bob")))
	// Output: true false
}

func ExampleRotatingBloom() {
	seen, _ := sketch.NewRotatingBloom(time.Minute, 10_000, 0.001)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	h := sketch.HashString("order-42")
	fmt.Println(seen.TestAndAdd(h, t0))                                  // first time
	fmt.Println(seen.TestAndAdd(h, t0+int64(30*time.Second)))            // a repeat within a minute
	seen.Advance(t0 + int64(3*time.Minute))                              // the watermark moves on
	fmt.Println(seen.TestAndAdd(h, t0+int64(3*time.Minute+time.Second))) // forgotten
	// Output:
	// false
	// true
	// false
}

func ExampleQuantiles() {
	q, _ := sketch.NewQuantiles(0.01, 0) // 1 % relative accuracy
	for i := 1; i <= 1000; i++ {
		q.Add(float64(i))
	}
	fmt.Printf("p50=%.0f p99=%.0f\n", q.Quantile(0.5), q.Quantile(0.99))
	// Exact: 500 and 990; within 1 %.
	// Output: p50=498 p99=983
}

func ExampleCountMin() {
	c, _ := sketch.NewCountMin(0.001, 0.01) // error <= 0.1 % of the total, with 99 %
	c.Add(sketch.HashString("GET /"), 700)
	c.Add(sketch.HashString("GET /about"), 300)
	fmt.Println(c.Count(sketch.HashString("GET /")), c.Count(sketch.HashString("POST /")))
	// Output: 700 0
}

func ExampleTopK() {
	s, _ := sketch.NewTopK[string](10)
	for _, w := range []string{"a", "b", "a", "c", "a", "b"} {
		s.Add(w, 1)
	}
	for _, it := range s.Top(nil, 2) {
		fmt.Println(it.Key, it.Count)
	}
	// Output:
	// a 3
	// b 2
}

type tenantUser struct {
	Tenant string
	ID     int64
}

// Hash64 makes tenantUser countable by the sketches.
func (k tenantUser) Hash64() uint64 {
	return sketch.HashString(k.Tenant)*31 ^ sketch.HashInt64(k.ID)
}

func ExampleHasher() {
	var h sketch.HLL // the zero HLL is an empty precision-14 sketch
	for _, k := range []sketch.Hasher{tenantUser{"acme", 1}, tenantUser{"acme", 2}, tenantUser{"acme", 1}} {
		h.Add(k.Hash64())
	}
	fmt.Println(h.Estimate())
	// Output: 2
}
