package source

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/weirhq/weir/stream"
)

// GenOption configures a Generator.
type GenOption interface{ applyGen(*genConfig) }

type genConfig struct {
	rate      float64
	count     int64
	seed      uint64
	timed     bool
	start     int64
	step      int64
	errs      []string
	hasCount  bool
	rateGiven bool
}

type genOption func(*genConfig)

func (f genOption) applyGen(c *genConfig) { f(c) }

// Rate makes the generator emit perSecond elements per second of processing
// time on average (default: as fast as the pipeline takes them). When the
// pipeline cannot keep up, the generator slows down with it: it does not
// burst to catch up more than a tenth of a second of backlog. While waiting
// for the next element's due time it sleeps (it never spins) and keeps the
// pipeline's processing time going. perSecond must be > 0.
func Rate(perSecond float64) GenOption {
	return genOption(func(c *genConfig) {
		c.rate, c.rateGiven = perSecond, true
		if !(perSecond > 0) {
			c.errs = append(c.errs, fmt.Sprintf("rate %v is not > 0", perSecond))
		}
	})
}

// Count bounds the generator to n elements (default: unbounded, until the
// pipeline is cancelled). Count(0) ends at once; n must not be negative.
func Count(n int64) GenOption {
	return genOption(func(c *genConfig) {
		c.count, c.hasCount = n, true
		if n < 0 {
			c.errs = append(c.errs, fmt.Sprintf("count %d < 0", n))
		}
	})
}

// Seed seeds the generator's random number generator (default 0). The same
// seed, function and count produce the same elements in every run.
func Seed(seed uint64) GenOption { return genOption(func(c *genConfig) { c.seed = seed }) }

// EventTimes gives element i the event time start + i*step, so a generated
// stream has deterministic event times (default: the processing time at which
// it is emitted, or what the stream.EventTime extractor given to stream.From
// returns; EventTimes takes precedence over the extractor). A step of 0 gives
// every element the same time; a negative step makes the stream run backwards
// in event time (every element after the first is then late for an
// Ascending watermark).
func EventTimes(start time.Time, step time.Duration) GenOption {
	return genOption(func(c *genConfig) { c.timed, c.start, c.step = true, start.UnixNano(), int64(step) })
}

// Generator returns a source of synthetic elements: element i (counting from
// 0) is f(i, rng), where rng is a random number generator owned by the
// source and seeded by Seed, so the sequence is the same in every run. By
// default it emits as fast as the pipeline accepts and never ends (stop it by
// cancelling the pipeline); Rate paces it, Count bounds it, EventTimes stamps
// deterministic event times.
//
// f is called from the source's goroutine only, so it may use rng and its
// own state without locks. Invalid options (a Rate <= 0, a negative Count)
// fail the pipeline when it starts, with an error wrapping
// stream.ErrInvalidPipeline.
func Generator[T any](f func(i int64, rng *rand.Rand) T, opts ...GenOption) stream.Source[T] {
	var cfg genConfig
	for _, o := range opts {
		if o != nil {
			o.applyGen(&cfg)
		}
	}
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		if f == nil {
			return fmt.Errorf("%w: source.Generator: nil function", stream.ErrInvalidPipeline)
		}
		if len(cfg.errs) > 0 {
			return fmt.Errorf("%w: source.Generator: %s", stream.ErrInvalidPipeline, cfg.errs[0])
		}
		g := &gen[T]{f: f, cfg: cfg, out: out, rng: rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))}
		if cfg.rateGiven {
			return g.paced(ctx)
		}
		return g.fast(ctx)
	})
}

type gen[T any] struct {
	f   func(int64, *rand.Rand) T
	cfg genConfig
	out *stream.Emitter[T]
	rng *rand.Rand
	i   int64
}

func (g *gen[T]) more() bool { return !g.cfg.hasCount || g.i < g.cfg.count }

func (g *gen[T]) emit() {
	v := g.f(g.i, g.rng)
	if g.cfg.timed {
		g.out.EmitNanos(v, g.cfg.start+g.i*g.cfg.step)
	} else {
		g.out.Emit(v)
	}
	g.i++
}

func (g *gen[T]) fast(ctx context.Context) error {
	done := ctx.Done()
	for g.more() {
		if g.i%checkEvery == 0 && isDone(done) {
			return ctx.Err()
		}
		g.emit()
	}
	return nil
}

// paced emits element i at start + (i-base)/rate. When it falls more than
// slack elements behind (the pipeline was slower than the rate), it restarts
// the schedule from now instead of bursting the whole backlog.
func (g *gen[T]) paced(ctx context.Context) error {
	done := ctx.Done()
	ticks := g.out.Ticks()
	period := float64(time.Second) / g.cfg.rate
	slack := max(int64(g.cfg.rate/10), 1)
	start, base := time.Now(), int64(0)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for g.more() {
		now := time.Now()
		due := base + int64(float64(now.Sub(start))/period) + 1 // indexes < due are due
		if due-g.i > slack {
			start, base, due = now, g.i, g.i+1
		}
		for g.i < due && g.more() {
			if g.i%checkEvery == 0 && isDone(done) {
				return ctx.Err()
			}
			g.emit()
		}
		if !g.more() {
			break
		}
		g.out.Flush()
		next := start.Add(time.Duration(float64(g.i-base) * period))
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case now := <-ticks:
				g.out.Tick(now)
			case <-done:
				return ctx.Err()
			}
		} else if isDone(done) {
			return ctx.Err()
		}
	}
	return nil
}
