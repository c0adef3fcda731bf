package window

import (
	"fmt"
	"testing"

	"github.com/weirhq/weir/stream"
)

// TestSessionDiscardingMerge: in discarding mode results are deltas, so an
// allowed-late element bridging sessions that have fired retracts nothing:
// the earlier deltas stay valid and the merged session emits only what
// arrived since. Every element is in exactly one delta.
func TestSessionDiscardingMerge(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"on-time", nil},
		{"early", []Option{EarlyEveryCount(1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := newHarness(Session(10), append([]Option{AllowedLateness(30), Discarding()}, c.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			h.e.process([]stream.Event[ev]{{Value: ev{"a", 1}, Time: 0}, {Value: ev{"a", 2}, Time: 15}})
			h.e.advance(30)
			h.e.process([]stream.Event[ev]{{Value: ev{"a", 4}, Time: 8}})
			// extends the merged session [0, 25) into the future: it fires
			// on time later with this element only
			h.e.process([]stream.Event[ev]{{Value: ev{"a", 8}, Time: 24}})
			h.e.advance(stream.MaxTime)
			var sum, n int64
			for _, r := range h.out {
				if r.Firing == Retract {
					t.Errorf("retraction in discarding mode: %v", r)
					continue
				}
				if r.Value.N == 0 {
					t.Errorf("empty result in discarding mode: %v", r)
				}
				sum += r.Value.Sum
				n += r.Value.N
			}
			if sum != 1+2+4+8 || n != 4 {
				t.Errorf("deltas sum to %d over %d elements, want 1+2+4+8 over 4:\n%v", sum, n, h.out)
			}
		})
	}
	// accumulating mode still retracts the merged sessions' results
	h, err := newHarness(Session(10), AllowedLateness(30))
	if err != nil {
		t.Fatal(err)
	}
	h.e.process([]stream.Event[ev]{{Value: ev{"a", 1}, Time: 0}, {Value: ev{"a", 2}, Time: 15}})
	h.e.advance(30)
	h.e.process([]stream.Event[ev]{{Value: ev{"a", 4}, Time: 8}})
	h.e.advance(stream.MaxTime)
	if got := fmtFinals(finals(h.out)); got != "a [0,25) n=3 sum=7" {
		t.Errorf("accumulating: finals %q, want a [0,25) n=3 sum=7:\n%v", got, h.out)
	}
}

// TestSessionDiscardingNoEmptyFiring: a session firing with nothing new
// since the previous firing (an early one) emits nothing in discarding mode.
func TestSessionDiscardingNoEmptyFiring(t *testing.T) {
	h, err := newHarness(Session(10), Discarding(), EarlyEveryCount(1))
	if err != nil {
		t.Fatal(err)
	}
	h.e.process([]stream.Event[ev]{{Value: ev{"a", 5}, Time: 0}})
	h.e.advance(stream.MaxTime)
	h2, _ := newHarness(Session(10), Discarding(), EarlyEveryCount(2))
	h2.e.process([]stream.Event[ev]{{Value: ev{"a", 5}, Time: 0}, {Value: ev{"a", 6}, Time: 3}, {Value: ev{"a", 7}, Time: 4}})
	h2.e.advance(stream.MaxTime)
	for i, c := range []struct {
		h    *harness
		want string
	}{
		{h, "[a [0,10) early n=1 sum=5]"},
		{h2, "[a [0,13) early n=2 sum=11 a [0,14) on-time n=1 sum=7]"},
	} {
		if got := fmt.Sprint(c.h.out); got != c.want {
			t.Errorf("case %d: results %s, want %s", i, got, c.want)
		}
	}
}
