package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/internal/kafkatest"
	"github.com/weirhq/weir/sink"
)

type windowKey struct {
	Kind, Poll, Option string
	Start              time.Time
}

// TestJobAgainstOracle runs the job on a bounded, reproducible vote stream
// on an in-process Kafka cluster, reads the results topic back with a
// read_committed consumer, and compares every window's final value with the
// batch answer computed from the generated votes.
func TestJobAgainstOracle(t *testing.T) {
	for _, exact := range []bool{true, false} {
		name := map[bool]string{true: "exact dedupe", false: "bloom dedupe"}[exact]
		t.Run(name, func(t *testing.T) { testJob(t, exact) })
	}
}

func testJob(t *testing.T, exact bool) {
	const polls, n = 12, 40_000
	c := kafkatest.New(t, partitions, topicVotes, topicResults, topicDLQ, topicLate)
	cat := newCatalog(polls)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	gen := newVoteGen(genConfig{Polls: polls, Voters: 50_000, Seed: 1, DupShare: 0.05, BadShare: 0.02,
		Start: start, Step: time.Millisecond, Jitter: 500 * time.Millisecond}, cat)
	var recs []*kgo.Record
	var all []generated
	for range n {
		g := gen.next()
		all = append(all, g)
		recs = append(recs, g.record(topicVotes))
	}
	c.Produce(t, recs)

	view := newLiveView(nil)
	// The Bloom filter is sized for the whole input in one generation of
	// the horizon (the test's votes span seconds, not the hour), so it stays
	// nearly empty: hashing is deterministic, and at this fill no false
	// positive occurs for this input.
	p := buildJob(jobConfig{
		Brokers: c.Addrs, Group: "votes-test", Votes: topicVotes, Results: topicResults, DLQ: topicDLQ, Late: topicLate,
		Catalog: cat, Exact: exact, Horizon: time.Hour, Expected: 8 * n, StopAtEnd: true,
		Bound: 2 * time.Second, Lateness: 30 * time.Second, View: view,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// The oracle: valid votes, each voter once per poll, in event time.
	want := map[windowKey]int64{}
	voters := map[windowKey]map[string]bool{}
	malformed := 0
	seen := map[pollVoter]bool{}
	for _, g := range all {
		if !g.Valid {
			malformed++
			continue
		}
		v := g.Vote
		if seen[pollVoter{v.Poll, v.Voter}] {
			continue
		}
		seen[pollVoter{v.Poll, v.Voter}] = true
		w10 := v.At.Truncate(10 * time.Second)
		want[windowKey{stageCount10s, v.Poll, v.Option, w10}]++
		vk := windowKey{stageVoters, v.Poll, "", w10}
		if voters[vk] == nil {
			voters[vk] = map[string]bool{}
		}
		voters[vk][v.Voter] = true
		for ws := v.At.Truncate(10 * time.Second).Add(-50 * time.Second); !ws.After(v.At); ws = ws.Add(10 * time.Second) {
			want[windowKey{stageCount1m, v.Poll, v.Option, ws}]++
		}
	}

	got := map[windowKey]Result{}
	for _, rec := range c.ReadAll(t, topicResults) {
		var r Result
		if err := json.Unmarshal(rec.Value, &r); err != nil {
			t.Fatalf("result %q: %v", rec.Value, err)
		}
		if r.Firing == "Retract" {
			continue
		}
		got[windowKey{r.Kind, r.Poll, r.Option, r.Start}] = r // the last firing is final
	}
	counts := map[windowKey]int64{}
	for k, r := range got {
		if k.Kind == stageCount10s || k.Kind == stageCount1m {
			counts[k] = r.Votes
		}
	}
	if !maps.Equal(counts, want) {
		for k, w := range want {
			if counts[k] != w {
				t.Errorf("%v: got %d votes, want %d", k, counts[k], w)
				break
			}
		}
		t.Fatalf("got %d window counts, want %d", len(counts), len(want))
	}
	for k, vs := range voters {
		r, ok := got[k]
		if !ok {
			t.Fatalf("%v: no distinct-voters result", k)
		}
		if d := float64(r.Voters) - float64(len(vs)); d > 0.02*float64(len(vs)) || d < -0.02*float64(len(vs)) {
			t.Errorf("%v: %d distinct voters, want %d within 2%%", k, r.Voters, len(vs))
		}
	}
	// Top options over the last minute: the first item is the oracle's
	// most-voted option of that minute.
	tops := 0
	for k, r := range got {
		if k.Kind != stageTop || len(r.Top) == 0 {
			continue
		}
		tops++
		best, bestN := "", int64(-1)
		for _, o := range cat[k.Poll] {
			if n := want[windowKey{stageCount1m, k.Poll, o, k.Start}]; n > bestN || (n == bestN && o < best) {
				best, bestN = o, n
			}
		}
		if r.Top[0].Option != best || int64(r.Top[0].Votes) != bestN {
			t.Errorf("%v: top %+v, want %s with %d", k, r.Top[0], best, bestN)
		}
	}
	if tops == 0 {
		t.Error("no top-options result to check")
	}
	if dlq := c.ReadAll(t, topicDLQ); len(dlq) != malformed {
		t.Errorf("dead letters: %d, want %d", len(dlq), malformed)
	} else if h := headers(dlq[0]); h[sink.HeaderError] == "" {
		t.Errorf("dead letter without error header: %v", h)
	}
	if late := c.ReadAll(t, topicLate); len(late) != 0 {
		t.Errorf("%d late votes, want none (disorder is within the bound)", len(late))
	}

	// The live view shows every poll.
	srv := httptest.NewServer(view.handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/api/results")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Polls) != polls {
		t.Fatalf("live view has %d polls, want %d", len(snap.Polls), polls)
	}
	page, _ := srv.Client().Get(srv.URL + "/")
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), "/api/results") {
		t.Fatal("page does not poll the results")
	}
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// TestRunStopsCleanly runs the whole program briefly on an embedded cluster
// and checks that it reports, serves and stops when its context ends.
func TestRunStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	var out strings.Builder
	err := run(ctx, options{http: "127.0.0.1:0", rate: 5000, polls: 5, voters: 1000}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "final:") || !strings.Contains(out.String(), "live view on http://") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// TestProduceVotesRate: the generator keeps its rate, including rates above
// 1,000 votes a second (which tick every millisecond with several votes a
// tick) and rates that do not divide into ticks evenly.
func TestProduceVotesRate(t *testing.T) {
	c := kafkatest.New(t, partitions, topicVotes)
	cl := c.Client(t)
	for _, rate := range []float64{300, 1500, 4500} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var produced atomic.Int64
		gen := newVoteGen(genConfig{Polls: 3, Voters: 100, Seed: 1}, newCatalog(3))
		start := time.Now()
		err := produceVotes(ctx, cl, topicVotes, gen, rate, 0, &produced)
		elapsed := time.Since(start).Seconds()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// At most what the elapsed time allows; at least three quarters of
		// it: pacing catches up at every tick, so only a producer starved of
		// ticks for the last quarter second falls below. Rounding the votes
		// per tick down, as before, gave two thirds at 1,500 a second.
		got, most := float64(produced.Load()), rate*elapsed
		if got > most+1 || got < 0.75*most-5 {
			t.Errorf("rate %v: produced %v in %.2fs, want about %.0f", rate, got, elapsed, most)
		}
	}
}
