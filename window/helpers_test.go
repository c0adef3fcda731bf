package window

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir/stream"
)

// ev is the element type of the tests: a key and a value.
type ev struct {
	K string
	V int64
}

// ns is a count and sum, the result of sumAgg.
type ns struct{ N, Sum int64 }

func (x ns) String() string { return fmt.Sprintf("n=%d sum=%d", x.N, x.Sum) }

// sumAgg counts and sums values (a private aggregator: the tests do not
// depend on package agg).
type sumAgg struct{}

func (sumAgg) Init() ns                 { return ns{} }
func (sumAgg) Add(a *ns, v ev, _ int64) { a.N++; a.Sum += v.V }
func (sumAgg) Merge(d, s *ns)           { d.N += s.N; d.Sum += s.Sum }
func (sumAgg) Result(a *ns) ns          { return *a }
func (sumAgg) Reset(a *ns)              { *a = ns{} }

// subAgg is sumAgg that can also subtract (agg.Subtractor): sliding
// windows then slide one aggregate per key instead of two-stacks.
type subAgg struct{ sumAgg }

func (subAgg) Subtract(d, s *ns) { d.N -= s.N; d.Sum -= s.Sum }

// harness drives an engine directly, without the runtime.
type harness struct {
	e    engine[ev]
	out  []Result[string, ns]
	outT []int64
	late []stream.Event[ev]
	nl   int
}

func newHarness(a Assigner, opts ...Option) (*harness, error) {
	return newHarnessKeep(a, false, opts...)
}

// newHarnessKeep is newHarness with the engine's keepsAll set as by Process
// (sliding windows then merge all panes per firing).
func newHarnessKeep(a Assigner, keepsAll bool, opts ...Option) (*harness, error) {
	return newHarnessAgg(a, sumAgg{}, keepsAll, opts...)
}

// newHarnessAgg is newHarnessKeep with aggregator ag (sumAgg or subAgg).
func newHarnessAgg(a Assigner, ag Aggregator[ev, ns, ns], keepsAll bool, opts ...Option) (*harness, error) {
	h := &harness{}
	cfg := newConfig(opts)
	if err := cfg.validate(a); err != nil {
		return nil, err
	}
	e, err := newEngine(a, core[string, ev, ns, ns]{
		cfg: cfg, keyOf: func(v ev) string { return v.K }, ag: ag, keepsAll: keepsAll,
		result: func(_ string, _, _ int64, acc *ns) ns { return ag.Result(acc) },
		out: func(r Result[string, ns], ts int64) {
			h.out = append(h.out, r)
			h.outT = append(h.outT, ts)
		},
		late:  func(v ev, ts int64) { h.late = append(h.late, stream.Event[ev]{Value: v, Time: ts}) },
		nLate: func(n int) { h.nl += n },
	})
	h.e = e
	return h, err
}

// wkey identifies a window of a key.
type wkey struct {
	K          string
	Start, End int64
}

// finals reduces results to the final value per window (dropping retracted
// windows).
func finals(rs []Result[string, ns]) map[wkey]ns {
	m := map[wkey]ns{}
	for _, r := range rs {
		w := wkey{r.Key, r.Start, r.End}
		if r.Firing == Retract {
			delete(m, w)
		} else {
			m[w] = r.Value
		}
	}
	return m
}

func fmtFinals(m map[wkey]ns) string {
	var ls []string
	for w, v := range m {
		ls = append(ls, fmt.Sprintf("%s [%d,%d) %v", w.K, w.Start, w.End, v))
	}
	sort.Strings(ls)
	return strings.Join(ls, "\n")
}

// step is one input of a scripted run: an element or a watermark.
type step struct {
	wm bool
	t  int64
	v  ev
}

// scriptSource emits steps exactly: elements at their times, watermarks
// explicitly.
func scriptSource(steps []step) stream.Source[ev] {
	return stream.SourceFunc[ev](func(ctx context.Context, out *stream.Emitter[ev]) error {
		for i, s := range steps {
			if i%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if s.wm {
				out.Watermark(s.t)
			} else {
				out.EmitNanos(s.v, s.t)
			}
		}
		return nil
	})
}

// parseOpts reads "tumbling=10 lateness=5 ..." into an assigner and options.
func parseOpts(s string) (Assigner, []Option, error) {
	var a Assigner
	var opts []Option
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		n := func(x string) time.Duration { i, _ := strconv.ParseInt(x, 10, 64); return time.Duration(i) }
		switch k {
		case "tumbling":
			a = Tumbling(n(v))
		case "sliding":
			sz, sl, _ := strings.Cut(v, "/")
			a = Sliding(n(sz), n(sl))
		case "session":
			a = Session(n(v))
		case "session-by-value":
			a = SessionFunc(func(e ev) time.Duration { return time.Duration(e.V) })
		case "global":
			a = Global()
		case "offset":
			a = a.WithOffset(n(v))
		case "lateness":
			opts = append(opts, AllowedLateness(n(v)))
		case "early-count":
			opts = append(opts, EarlyEveryCount(int(n(v))))
		case "early-when":
			w := int64(n(v))
			opts = append(opts, EarlyWhen(func(e ev) bool { return e.V == w }))
		case "early-every":
			opts = append(opts, EarlyEvery(n(v)))
		case "final-only":
			opts = append(opts, FinalOnly())
		case "discarding":
			opts = append(opts, Discarding())
		default:
			return a, nil, fmt.Errorf("unknown option %q", f)
		}
	}
	return a, opts, nil
}
