package main

import (
	"encoding/json"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/sketch"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

// jobConfig configures the vote-counting job.
type jobConfig struct {
	Brokers   []string
	Group     string
	Votes     string // input topic
	Results   string // output topic
	DLQ       string // malformed votes
	Late      string // votes later than the allowed lateness
	Catalog   Catalog
	Exact     bool          // dedupe voters with an exact map instead of a Bloom filter
	Horizon   time.Duration // how long a voter's vote is remembered for dedupe
	Expected  uint          // distinct voter-poll pairs expected per horizon (Bloom sizing)
	StopAtEnd bool          // bounded run: stop at the topic's end (tests)
	Bound     time.Duration // out-of-orderness of event times
	Lateness  time.Duration // allowed lateness of windows
	View      *liveView     // may be nil
	Kgo       []kgo.Opt     // extra client options (TLS, SASL, ...)
}

// Result is what the job publishes: one firing of one window.
type Result struct {
	Kind   string    `json:"kind"` // votes-10s, votes-1m, voters-10s, top-1m
	Poll   string    `json:"poll"`
	Option string    `json:"option,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Votes  int64     `json:"votes,omitempty"`
	Voters uint64    `json:"voters,omitempty"`
	Top    []TopItem `json:"top,omitempty"`
	Firing string    `json:"firing"`
}

// TopItem is one option in a poll's top list.
type TopItem struct {
	Option string `json:"option"`
	Votes  uint64 `json:"votes"`
}

// Stage names, for metrics.
const (
	stageVotes    = "votes"
	stageValidate = "validate"
	stageDedupe   = "dedupe"
	stageCount10s = "votes-10s"
	stageCount1m  = "votes-1m"
	stageVoters   = "voters-10s"
	stageTop      = "top-1m"
	stageOut      = "results"
)

// buildJob wires the pipeline:
//
//	votes topic → decode (malformed → DLQ) → validate (invalid → DLQ)
//	  → dedupe a voter per poll
//	  → per poll and option: votes in 10 s tumbling and 1 min/10 s sliding windows
//	  → per poll: distinct voters (HLL) in 10 s windows, top options over 1 min
//	  → results topic and live view; votes later than the lateness → late topic
func buildJob(cfg jobConfig) *stream.Pipeline {
	p := stream.New(stream.WithCheckpointInterval(time.Second))
	client := append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, cfg.Kgo...)

	srcOpts := []source.KafkaOption{
		source.KafkaClient(append(client,
			kgo.ConsumerGroup(cfg.Group), kgo.ConsumeTopics(cfg.Votes),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...),
		source.KafkaEventTime(func(v Vote) time.Time { return v.At }),
		source.KafkaWatermarks(stream.BoundedOutOfOrderness(cfg.Bound)),
		source.KafkaIdleTimeout(5 * time.Second),
	}
	if cfg.StopAtEnd {
		srcOpts = append(srcOpts, source.KafkaStopAtEnd())
	}
	votes := stream.From(p, source.Kafka(decodeVote, srcOpts...),
		stream.Name(stageVotes), stream.OnError(stream.DeadLetterOnError))
	valid := stream.MapErr(votes, cfg.Catalog.Validate, stream.Name(stageValidate), stream.OnError(stream.DeadLetterOnError))

	byVoter := stream.KeyBy(valid, func(v Vote) pollVoter { return pollVoter{v.Poll, v.Voter} })
	var unique stream.Stream[Vote]
	if cfg.Exact {
		unique = stream.Dedupe(byVoter, cfg.Horizon, stream.Name(stageDedupe))
	} else {
		unique = stream.DedupeApprox(byVoter, func() stream.ApproxSeen {
			f, err := sketch.NewRotatingBloom(cfg.Horizon, max(cfg.Expected, 100_000), 0.001)
			if err != nil {
				panic(err) // horizon > 0 and a valid rate: cannot happen
			}
			return f
		}, func(k pollVoter) uint64 { return sketch.HashString(k.Poll + "\x00" + k.Voter) }, stream.Name(stageDedupe))
	}

	lateness := window.AllowedLateness(cfg.Lateness)
	byOption := stream.KeyBy(unique, func(v Vote) pollOption { return pollOption{v.Poll, v.Option} })
	count10s, late := window.AggregateLate(byOption, window.Tumbling(10*time.Second), agg.Count[Vote](),
		lateness, window.StageOptions(stream.Name(stageCount10s)))
	count1m := window.Aggregate(byOption, window.Sliding(time.Minute, 10*time.Second), agg.Count[Vote](),
		lateness, window.StageOptions(stream.Name(stageCount1m)))

	byPoll := stream.KeyBy(unique, func(v Vote) string { return v.Poll })
	voters := window.Aggregate(byPoll, window.Tumbling(10*time.Second),
		agg.Distinct(func(v Vote) string { return v.Voter }),
		lateness, window.StageOptions(stream.Name(stageVoters)))
	top := window.Aggregate(byPoll, window.Sliding(time.Minute, 10*time.Second),
		agg.TopK(3, func(v Vote) string { return v.Option }),
		lateness, window.StageOptions(stream.Name(stageTop)))

	results := stream.Union(
		stream.Map(count10s, optionResult(stageCount10s)),
		stream.Map(count1m, optionResult(stageCount1m)),
		stream.Map(voters, func(r window.Result[string, uint64]) Result {
			return Result{Kind: stageVoters, Poll: r.Key, Start: r.StartTime(), End: r.EndTime(), Voters: r.Value, Firing: r.Firing.String()}
		}),
		stream.Map(top, func(r window.Result[string, []sketch.Item[string]]) Result {
			items := make([]TopItem, len(r.Value))
			for i, it := range r.Value {
				items[i] = TopItem{Option: it.Key, Votes: it.Count}
			}
			return Result{Kind: stageTop, Poll: r.Key, Start: r.StartTime(), End: r.EndTime(), Top: items, Firing: r.Firing.String()}
		}),
	)
	sink.To(results, sink.Kafka(cfg.Results, func(r Result) *kgo.Record {
		b, _ := json.Marshal(r)
		return &kgo.Record{Key: []byte(r.Poll), Value: b}
	}, client...), stream.Name(stageOut))
	if cfg.View != nil {
		sink.To(results, sink.Func(func(r Result) error { cfg.View.update(r); return nil }), stream.Name("live-view"))
	}
	sink.To(late, sink.Kafka(cfg.Late, func(v Vote) *kgo.Record {
		b, _ := json.Marshal(v)
		return &kgo.Record{Key: []byte(v.Poll), Value: b}
	}, client...), stream.Name("late-votes"))
	sink.To(p.DeadLetters(), sink.KafkaDeadLetters(cfg.DLQ, client...), stream.Name("dead-letters"))
	return p
}

func optionResult(kind string) func(window.Result[pollOption, int64]) Result {
	return func(r window.Result[pollOption, int64]) Result {
		return Result{Kind: kind, Poll: r.Key.Poll, Option: r.Key.Option, Start: r.StartTime(), End: r.EndTime(), Votes: r.Value, Firing: r.Firing.String()}
	}
}
