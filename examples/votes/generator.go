package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// genConfig describes the synthetic vote traffic.
type genConfig struct {
	Polls    int
	Voters   int
	Seed     uint64
	DupShare float64 // share of votes re-sent (a client retry) shortly after
	BadShare float64 // share of malformed votes: bad JSON or invalid fields
	// Start and Step fix event times (Start + i*Step, with jitter) for
	// reproducible runs; a zero Start stamps votes with the wall clock.
	Start  time.Time
	Step   time.Duration
	Jitter time.Duration // event times are shuffled by up to this much
}

// generated is one produced record and what the generator knows of it.
type generated struct {
	Value []byte
	Vote  Vote
	Valid bool // a well-formed vote for a known option
}

// voteGen makes votes: popular options get more votes, some votes are
// re-sent (a client retry), some voters try to vote twice in a poll, some
// votes are malformed.
type voteGen struct {
	cfg   genConfig
	cat   Catalog
	rng   *rand.Rand
	i     int64
	voted []uint64 // bit poll*Voters+voter: that voter has voted in that poll
	last  []Vote   // recent votes, for re-sends
}

func newVoteGen(cfg genConfig, cat Catalog) *voteGen {
	return &voteGen{cfg: cfg, cat: cat, rng: rand.New(rand.NewPCG(cfg.Seed, 0x766f746573)),
		voted: make([]uint64, (cfg.Polls*cfg.Voters+63)/64)}
}

func (g *voteGen) now() time.Time {
	var t time.Time
	if g.cfg.Start.IsZero() {
		t = time.Now()
	} else {
		t = g.cfg.Start.Add(time.Duration(g.i) * g.cfg.Step)
	}
	if g.cfg.Jitter > 0 {
		t = t.Add(-time.Duration(g.rng.Int64N(int64(g.cfg.Jitter))))
	}
	return t.UTC()
}

// next returns the next record.
func (g *voteGen) next() generated {
	defer func() { g.i++ }()
	r := g.rng.Float64()
	if r < g.cfg.DupShare && len(g.last) > 0 {
		v := g.last[g.rng.IntN(len(g.last))]
		b, _ := json.Marshal(v)
		return generated{Value: b, Vote: v, Valid: true}
	}
	if r < g.cfg.DupShare+g.cfg.BadShare {
		return g.malformed()
	}
	pi, vi := g.rng.IntN(g.cfg.Polls), g.rng.IntN(g.cfg.Voters)
	poll, voter := pollName(pi), fmt.Sprintf("voter-%06d", vi)
	opts := g.cat[poll]
	// Skewed choice: option j with weight 1/(j+1).
	var total float64
	for j := range opts {
		total += 1 / float64(j+1)
	}
	x, j := g.rng.Float64()*total, 0
	for ; j < len(opts)-1; j++ {
		x -= 1 / float64(j+1)
		if x < 0 {
			break
		}
	}
	v := Vote{Poll: poll, Option: opts[j], Voter: voter, At: g.now()}
	b, _ := json.Marshal(v)
	bit := pi*g.cfg.Voters + vi
	if g.voted[bit/64]&(1<<(bit%64)) != 0 {
		// The voter already voted in this poll: a second attempt, which
		// the job must not count.
		return generated{Value: b, Vote: v, Valid: true}
	}
	g.voted[bit/64] |= 1 << (bit % 64)
	if len(g.last) < 64 {
		g.last = append(g.last, v)
	} else {
		g.last[g.rng.IntN(len(g.last))] = v
	}
	return generated{Value: b, Vote: v, Valid: true}
}

func (g *voteGen) malformed() generated {
	switch g.rng.IntN(3) {
	case 0:
		return generated{Value: []byte(`{"poll": "poll-000", "option": `)}
	case 1:
		v := Vote{Poll: pollName(g.rng.IntN(g.cfg.Polls)), Option: "zz", Voter: "voter-x", At: g.now()}
		b, _ := json.Marshal(v)
		return generated{Value: b, Vote: v}
	default:
		v := Vote{Poll: "no-such-poll", Option: "a", Voter: "voter-y", At: g.now()}
		b, _ := json.Marshal(v)
		return generated{Value: b, Vote: v}
	}
}

// record makes the Kafka record of a generated vote, keyed by poll so that a
// poll's votes stay in one partition (and one instance of a scaled-out job).
func (gv generated) record(topic string) *kgo.Record {
	key := gv.Vote.Poll
	if key == "" {
		key = "malformed"
	}
	return &kgo.Record{Topic: topic, Key: []byte(key), Value: gv.Value}
}

// produceVotes writes votes to topic at rate votes per second (0: as fast as
// possible) until ctx is done or count votes were written (0: unbounded). It
// counts what it wrote in produced. The pace follows the time elapsed since
// the start, not the number of ticks: a tick may carry several votes (rates
// above 1,000 a second tick every millisecond) and ticks missed while
// producing are made up.
func produceVotes(ctx context.Context, cl *kgo.Client, topic string, g *voteGen, rate float64, count int64, produced *atomic.Int64) error {
	var tick *time.Ticker
	if rate > 0 {
		tick = time.NewTicker(max(time.Duration(float64(time.Second)/rate), time.Millisecond))
		defer tick.Stop()
	}
	// the first failure (atomic.Value would panic on a second error of
	// another concrete type)
	var failed atomic.Pointer[error]
	start, sent := time.Now(), int64(0)
	for count == 0 || produced.Load() < count {
		due := int64(1)
		if tick != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			due = int64(rate*time.Since(start).Seconds()) - sent
		} else if ctx.Err() != nil {
			return nil
		}
		for ; due > 0; due-- {
			if count > 0 && produced.Load() >= count {
				break
			}
			cl.Produce(ctx, g.next().record(topic), func(_ *kgo.Record, err error) {
				// A context error is the stop, not a failure (the client may
				// see ctx's deadline pass before ctx.Err reports it).
				stopped := ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
				if err != nil && !stopped {
					failed.CompareAndSwap(nil, &err)
				}
			})
			produced.Add(1)
			sent++
		}
		if err := failed.Load(); err != nil {
			return fmt.Errorf("produce votes: %w", *err)
		}
	}
	return cl.Flush(ctx)
}
