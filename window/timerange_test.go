package window

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// TestTimeRange: elements whose windows cannot be represented in int64
// nanoseconds (at or near stream.MinTime, the time of a zero time.Time, or
// near stream.MaxTime) go to the stage's error policy with ErrTimeRange;
// the elements beside them are windowed as usual.
func TestTimeRange(t *testing.T) {
	minute := int64(time.Minute)
	cases := []struct {
		name string
		a    Assigner
		opts []Option
		bad  []int64 // out-of-range times
		good []int64 // in-range times
		want map[wkey]ns
	}{
		{"tumbling-zero-time", Tumbling(time.Minute), nil,
			[]int64{stream.TimeOf(time.Time{}), stream.MinTime + minute},
			[]int64{5, minute + 1},
			map[wkey]ns{{"a", 0, minute}: {1, 10}, {"a", minute, 2 * minute}: {1, 10}}},
		{"tumbling-offset-min", Tumbling(10).WithOffset(3), nil,
			[]int64{stream.MinTime, stream.MinTime + 5},
			[]int64{5, 12},
			map[wkey]ns{{"a", 3, 13}: {2, 20}}},
		{"tumbling-near-max", Tumbling(10), nil,
			[]int64{stream.MaxTime - 3},
			[]int64{5},
			map[wkey]ns{{"a", 0, 10}: {1, 10}}},
		{"sliding-near-max", Sliding(10, 4), nil,
			[]int64{stream.MaxTime - 3, stream.MaxTime},
			[]int64{5},
			map[wkey]ns{{"a", -4, 6}: {1, 10}, {"a", 0, 10}: {1, 10}, {"a", 4, 14}: {1, 10}}},
		{"tumbling-lateness-min", Tumbling(10), []Option{AllowedLateness(time.Hour)},
			[]int64{stream.MinTime + int64(time.Hour)},
			[]int64{5},
			map[wkey]ns{{"a", 0, 10}: {1, 10}}},
	}
	for _, c := range cases {
		var steps []step
		// out-of-range elements interleaved with in-range ones
		for i := range max(len(c.bad), len(c.good)) {
			if i < len(c.good) {
				steps = append(steps, step{t: c.good[i], v: ev{"a", 10}})
			}
			if i < len(c.bad) {
				steps = append(steps, step{t: c.bad[i], v: ev{"a", 1000}})
			}
		}
		t.Run(c.name+"/fail", func(t *testing.T) {
			_, _, _, _, err := runPolicy(t, steps, c.a, sumAgg{}, 1, 4, stream.FailOnError, c.opts...)
			var se *stream.StageError
			if !errors.Is(err, ErrTimeRange) || !errors.As(err, &se) || se.Stage != "w" {
				t.Fatalf("Run: %v, want a StageError of stage w wrapping ErrTimeRange", err)
			}
			t.Log(err)
		})
		for _, pol := range []stream.ErrorPolicy{stream.SkipOnError, stream.DeadLetterOnError} {
			t.Run(fmt.Sprintf("%s/%v", c.name, pol), func(t *testing.T) {
				rs, late, dls, m, err := runPolicy(t, steps, c.a, sumAgg{}, 1, 4, pol, c.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if got := finals(rs); fmtFinals(got) != fmtFinals(c.want) {
					t.Errorf("results:\n%s\nwant:\n%s", fmtFinals(got), fmtFinals(c.want))
				}
				for _, r := range rs {
					if r.End <= r.Start {
						t.Errorf("result %v: End <= Start", r)
					}
				}
				if len(late) != 0 || m.Late != 0 {
					t.Errorf("late: %v (metric %d), want none", late, m.Late)
				}
				if m.Errors != uint64(len(c.bad)) {
					t.Errorf("Errors metric %d, want %d", m.Errors, len(c.bad))
				}
				wantDL := 0
				if pol == stream.DeadLetterOnError {
					wantDL = len(c.bad)
				}
				if len(dls) != wantDL {
					t.Fatalf("%d dead letters, want %d", len(dls), wantDL)
				}
				for _, d := range dls {
					if d.Stage != "w" || !errors.Is(d.Err, ErrTimeRange) || d.Value != (ev{"a", 1000}) {
						t.Errorf("dead letter %+v", d)
					}
				}
			})
		}
	}
}

// TestTimeRangeBounds: at the bounds timeRange accepts, the engine assigns
// an element to exactly the windows that contain it, with Start < End, and
// fires them only when the watermark passes their ends.
func TestTimeRangeBounds(t *testing.T) {
	for _, c := range []struct {
		a Assigner
		l int64
	}{
		{Tumbling(10), 0},
		{Tumbling(10).WithOffset(3), 0},
		{Tumbling(10).WithOffset(9), 25},
		{Tumbling(time.Minute), int64(time.Hour)},
		{Sliding(10, 4), 0},
		{Sliding(10, 4).WithOffset(3), 7},
		{Sliding(12, 3).WithOffset(-1), 0},
		{Sliding(60, 7), 100},
	} {
		lo, hi := timeRange(c.a, c.l)
		for _, ts := range []int64{lo, lo + 1, hi - 1, hi} {
			for _, final := range []bool{false, true} {
				var opts []Option
				if c.l > 0 {
					opts = append(opts, AllowedLateness(time.Duration(c.l)))
				}
				if final {
					opts = append(opts, FinalOnly())
				}
				h, err := newHarness(c.a, opts...)
				if err != nil {
					t.Fatal(err)
				}
				h.e.process([]stream.Event[ev]{{Value: ev{"a", 1}, Time: ts}})
				// a watermark below the element's windows fires nothing
				h.e.advance(ts - 1 - c.a.size)
				if len(h.out) != 0 {
					t.Errorf("%v lateness %d, element at %d: fired at watermark %d: %v", c.a, c.l, ts, ts-1-c.a.size, h.out)
				}
				h.e.advance(stream.MaxTime)
				var want []wkey
				off := ((c.a.off % c.a.slide) + c.a.slide) % c.a.slide
				// starts st = off mod slide with st <= ts < st+size, found
				// from the largest one down without overflow
				st := ts - ((ts-off)%c.a.slide+c.a.slide)%c.a.slide
				for ; st > ts-c.a.size; st -= c.a.slide {
					want = append(want, wkey{"a", st, st + c.a.size})
				}
				got := finals(h.out)
				if len(got) != len(want) || h.nl != 0 {
					t.Errorf("%v lateness %d final %v, element at %d: results %v (late %d), want windows %v", c.a, c.l, final, ts, h.out, h.nl, want)
					continue
				}
				for _, w := range want {
					if v, ok := got[w]; !ok || v != (ns{1, 1}) {
						t.Errorf("%v lateness %d final %v, element at %d: window %v: %v, want n=1 sum=1 (results %v)", c.a, c.l, final, ts, w, v, h.out)
					}
				}
			}
		}
		if l2, h2 := timeRange(c.a, c.l); l2 > stream.MinTime+int64(time.Hour)+int64(3*time.Minute) || h2 < stream.MaxTime-int64(3*time.Minute) {
			t.Errorf("%v: range [%d, %d] narrower than expected", c.a, l2, h2)
		}
	}
}
