package window

import (
	"fmt"
	"time"

	"github.com/weirhq/weir/stream"
)

// Option configures a windowed stage (Aggregate, AggregateLate, Process).
type Option interface{ apply(*config) }

type config struct {
	lateness   int64
	earlyEvery int64
	earlyCount int
	earlyWhen  any // func(T) bool
	finalOnly  bool
	discarding bool
	stage      []stream.StageOption
	bad        string
	// aheadKeys overrides lookAheadKeys when > 0 (tests run the oracle
	// through both paths of process).
	aheadKeys int
	// results overrides resultBatch when > 0 (tests hand fireSub's results
	// on in batches of a few).
	results int
}

// aheadFrom returns e.cfg's look-ahead threshold.
func (c *config) aheadFrom() int {
	if c.aheadKeys > 0 {
		return c.aheadKeys
	}
	return lookAheadKeys
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// AllowedLateness keeps each window's state for d after the watermark passes
// its end (default 0). An element arriving in that time is added and the
// window fires again with Firing Late (once per such element); elements
// later than that are late: counted in the stage's Late metric and sent to
// the late stream of AggregateLate (or discarded if it is not consumed). A
// window is dropped when the watermark reaches End-1+d. d < 0 is invalid.
//
// With tumbling and sliding windows each key then holds a pane slot for
// every gcd(size, slide) of d, whether or not those panes received elements
// (see State in the package documentation).
func AllowedLateness(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.bad = "negative allowed lateness"
		}
		c.lateness = int64(d)
	})
}

// EarlyEvery fires windows early (Firing Early) every d of processing time,
// on the pipeline's ticks: each open window that received elements since its
// key's last early firing emits its partial result. An early firing visits
// every key holding state (O(state) per d). Default: no early firings. d <= 0
// is invalid.
func EarlyEvery(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.bad = "EarlyEvery <= 0"
		}
		c.earlyEvery = int64(d)
	})
}

// EarlyEveryCount counts elements per key, not per window: once a key has
// received n elements (in any of its windows) since its last early firing,
// the key's open windows that received those elements (with tumbling and
// sliding windows: every open window holding elements from the earliest of
// them to the latest) fire early (Firing Early) with their partial results,
// and the count restarts. Only when a key has a single open window (a
// global window, say) is that every n elements of the window; with several,
// a window may fire early after fewer of its own elements. Default: none.
// n <= 0 is invalid.
func EarlyEveryCount(n int) Option {
	return optionFunc(func(c *config) {
		if n <= 0 {
			c.bad = "EarlyEveryCount <= 0"
		}
		c.earlyCount = n
	})
}

// EarlyWhen fires the windows of an element's key early (Firing Early) right
// after an element for which f returns true has been added: a custom trigger
// (an end-of-transaction marker, a threshold). T must be the stage's element
// type, else Run fails with ErrInvalid.
func EarlyWhen[T any](f func(T) bool) Option {
	return optionFunc(func(c *config) { c.earlyWhen = f })
}

// FinalOnly emits exactly one result per window, with Firing OnTime, when the
// window is closed for good: when the watermark reaches End-1 plus the
// allowed lateness (like Kafka Streams' suppress(untilWindowCloses)). Allowed
// late elements are included; nothing is re-fired. It cannot be combined
// with early triggers (ErrInvalid).
func FinalOnly() Option { return optionFunc(func(c *config) { c.finalOnly = true }) }

// Discarding empties a window's accumulator after each firing, so each result
// holds only what arrived since the previous one (Beam's discarding mode):
// early firings emit deltas, a late firing only the late elements, and a
// firing with nothing new since the previous one emits nothing. The
// default is accumulating: every result holds the whole window. Sliding
// windows share panes between windows and cannot discard (ErrInvalid).
//
// With session windows, sessions merged after they emitted (by an element
// bridging them, or extending one, within the allowed lateness) are not
// retracted: their results were deltas and stay valid under their old
// bounds, and the merged session emits only what arrived since. Summing a
// key's results gives every element once; there is no Retract in
// discarding mode.
func Discarding() Option { return optionFunc(func(c *config) { c.discarding = true }) }

// StageOptions passes options of the underlying stage (stream.Name,
// stream.OnError) through.
func StageOptions(opts ...stream.StageOption) Option {
	return optionFunc(func(c *config) { c.stage = append(c.stage, opts...) })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

func (c *config) validate(a Assigner) error {
	if err := a.validate(); err != nil {
		return err
	}
	switch {
	case c.bad != "":
		return fmt.Errorf("%w: %s", ErrInvalid, c.bad)
	case c.finalOnly && c.early():
		return fmt.Errorf("%w: FinalOnly with an early trigger", ErrInvalid)
	case c.discarding && a.kind == kindSliding && a.slide != a.size:
		return fmt.Errorf("%w: Discarding with sliding windows", ErrInvalid)
	}
	return nil
}

func (c *config) early() bool { return c.earlyEvery > 0 || c.earlyCount > 0 || c.earlyWhen != nil }
