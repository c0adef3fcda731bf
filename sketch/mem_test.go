package sketch

import (
	"runtime"
	"testing"
	"time"
)

// heapBytes returns the heap bytes retained by the value build returns.
func heapBytes(build func() any) int64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(v)
	return int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
}

// TestMemory logs the retained size of each sketch (the figures in doc.go).
func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement only")
	}
	heapBytes(func() any { return new(HLL) }) // warm up
	for _, c := range []struct {
		name  string
		build func() any
	}{
		{"HLL p14 empty", func() any { h, _ := NewHLL(0); h.Add(1); return h }},
		{"HLL p14 100 distinct", func() any { h, _ := NewHLL(0); addN(h, 100); return h }},
		{"HLL p14 1000 distinct", func() any { h, _ := NewHLL(0); addN(h, 1000); return h }},
		{"HLL p14 dense", func() any { h, _ := NewHLL(0); addN(h, 100_000); return h }},
		{"Bloom 1e6 1%", func() any { b, _ := NewBloom(1_000_000, 0.01); return b }},
		{"RotatingBloom 1e6 1%", func() any { b, _ := NewRotatingBloom(time.Minute, 1_000_000, 0.01); return b }},
		{"Quantiles 1% 1ms..10s", func() any {
			q, _ := NewQuantiles(0, 0)
			for v := 0.001; v < 10; v *= 1.001 {
				q.Add(v)
			}
			return q
		}},
		{"CountMin 0.1% 1%", func() any { c, _ := NewCountMin(0.001, 0.01); return c }},
		{"TopK[string] 100", func() any {
			s, _ := NewTopK[string](100)
			for i := range 1000 {
				s.Add(string(rune('a'+i%26))+string(rune('a'+i/26)), 1)
			}
			return s
		}},
	} {
		t.Logf("%-26s %8d bytes", c.name, heapBytes(c.build))
	}
}

func addN(h *HLL, n int) {
	for i := range n {
		h.Add(HashInt64(int64(i)))
	}
}
