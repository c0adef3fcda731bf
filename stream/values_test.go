package stream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// TestSliceIntoStages: a Slice source hands whole batches of its slice to a
// Map or Filter that reads them in place (valuesInlet), and the rest as
// batches of Events. Across batch sizes smaller than, equal to and larger
// than the source's chunks, and input lengths around them, the output, the
// stages' counts and the end watermark must be those of the definition, and
// the slice must be left as it was.
func TestSliceIntoStages(t *testing.T) {
	for _, size := range []int{1, 3, 8, 1000, 1024, 1500} {
		for _, n := range []int{0, 1, 999, 1024, 1025, 5000} {
			for _, first := range []string{"map", "filter", "convert"} {
				t.Run(fmt.Sprintf("%d/%d/%s", size, n, first), func(t *testing.T) {
					in := make([]int64, n)
					for i := range in {
						in[i] = int64(i)
					}
					orig := slices.Clone(in)
					double := func(x int64) int64 { return x * 2 }
					keep := func(x int64) bool { return x%3 != 0 }
					p := stream.New(stream.WithBatchSize(size))
					s := stream.From(p, source.Slice(in), stream.Name("src"))
					var want []int64
					switch first {
					case "map":
						s = stream.Filter(stream.Map(s, double, stream.Name("first")), keep, stream.Name("second"))
						for _, x := range in {
							if keep(double(x)) {
								want = append(want, double(x))
							}
						}
					case "filter":
						s = stream.Map(stream.Filter(s, keep, stream.Name("first")), double, stream.Name("second"))
						for _, x := range in {
							if keep(x) {
								want = append(want, double(x))
							}
						}
					case "convert":
						s = stream.Map(stream.Map(s, func(x int64) int32 { return int32(x) }, stream.Name("first")), func(x int32) int64 { return double(int64(x)) }, stream.Name("second"))
						for _, x := range in {
							want = append(want, double(x))
						}
					}
					out := sink.Collect[int64]()
					stream.To(s, out)
					if err := p.Run(context.Background()); err != nil {
						t.Fatal(err)
					}
					if got := out.Values(); !slices.Equal(got, want) {
						t.Fatalf("got %d values, want %d: %v", len(got), len(want), got[:min(len(got), 10)])
					}
					if !slices.Equal(in, orig) {
						t.Fatal("the source's slice was rewritten")
					}
					src, _ := p.Stage("src")
					m1, _ := p.Stage("first")
					m2, _ := p.Stage("second")
					if src.Out != uint64(n) || m1.In != uint64(n) || m2.Out != uint64(len(want)) || m1.Dropped+m2.Dropped != uint64(n-len(want)) {
						t.Fatalf("counts: source out %d, first %+v, second %+v; want %d in, %d out", src.Out, m1, m2, n, len(want))
					}
					if m2.Watermark != stream.MaxTime {
						t.Fatalf("end watermark %d, want MaxTime", m2.Watermark)
					}
					// Each batch is stamped with one ingestion time, and
					// batches in order: times never decrease.
					evs := out.Events()
					for i := 1; i < len(evs); i++ {
						if evs[i].Time < evs[i-1].Time {
							t.Fatalf("time went back at %d: %d after %d", i, evs[i].Time, evs[i-1].Time)
						}
					}
				})
			}
		}
	}
}
