// Command votes is weir's main example: real-time analytics for an online
// voting platform.
//
// With no flags it starts an embedded Kafka cluster (kfake, in process), a
// generator writing votes to the "votes" topic (many polls and options,
// voters, a share of duplicate and malformed votes), and the job:
//
//	validate (malformed → "votes-dlq") → dedupe a voter per poll (Bloom filter)
//	→ per-poll, per-option counts in 10 s tumbling and 1 min/10 s sliding windows
//	→ distinct voters per poll (HyperLogLog) → top options per poll
//	→ results to the "vote-results" topic and to a live view on localhost
//
// It prints a live summary (throughput, lag, watermark) and stops cleanly on
// Ctrl-C. -brokers host:port runs the same job against a real Kafka cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir/stream"
)

const (
	topicVotes   = "votes"
	topicResults = "vote-results"
	topicDLQ     = "votes-dlq"
	topicLate    = "votes-late"
	partitions   = 4
)

func main() {
	var opts options
	flag.StringVar(&opts.brokers, "brokers", "", "Kafka seed brokers (host:port,...); empty starts an embedded cluster")
	flag.StringVar(&opts.http, "http", "localhost:8080", "address of the live view (empty: none)")
	flag.Float64Var(&opts.rate, "rate", 20000, "votes per second to generate (0: as fast as possible, -1: none)")
	flag.IntVar(&opts.polls, "polls", 40, "number of polls")
	flag.IntVar(&opts.voters, "voters", 500_000, "number of voters")
	flag.DurationVar(&opts.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	flag.BoolVar(&opts.exact, "exact-dedupe", false, "dedupe voters exactly (a map) instead of with a Bloom filter")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.duration)
		defer cancel()
	}
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "votes:", err)
		os.Exit(1)
	}
}

type options struct {
	brokers  string
	http     string
	rate     float64
	polls    int
	voters   int
	duration time.Duration
	exact    bool
}

// run runs the generator, the job and the live view until ctx is done.
func run(ctx context.Context, opts options, out io.Writer) error {
	var brokers []string
	if opts.brokers == "" {
		// The embedded cluster keeps records in memory: keep ten minutes of
		// them, so that the demo can run for hours in bounded memory.
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topicVotes, topicResults, topicDLQ, topicLate),
			kfake.BrokerConfigs(map[string]string{"log.retention.ms": "600000"}))
		if err != nil {
			return fmt.Errorf("embedded cluster: %w", err)
		}
		defer c.Close()
		stopRetention := make(chan struct{})
		retentionDone := make(chan struct{})
		go func() {
			defer close(retentionDone)
			tick := time.NewTicker(30 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					c.ApplyRetention()
				case <-stopRetention:
					return
				}
			}
		}()
		defer func() { close(stopRetention); <-retentionDone }()
		brokers = c.ListenAddrs()
		fmt.Fprintf(out, "embedded Kafka cluster (kfake) on %s\n", strings.Join(brokers, ","))
	} else {
		brokers = strings.Split(opts.brokers, ",")
		if err := createTopics(ctx, brokers); err != nil {
			return err
		}
	}

	cat := newCatalog(opts.polls)
	var produced atomic.Int64
	var p *stream.Pipeline
	start := time.Now()
	stats := newStatsReader(func() *stream.Pipeline { return p }, &produced, start)
	view := newLiveView(stats.summary)
	p = buildJob(jobConfig{
		Brokers: brokers, Group: "weir-votes",
		Votes: topicVotes, Results: topicResults, DLQ: topicDLQ, Late: topicLate,
		Catalog: cat, Exact: opts.exact,
		// A retry comes within seconds; remember votes for two minutes,
		// sized for the generator's rate with room to spare.
		Horizon: 2 * time.Minute, Expected: uint(max(opts.rate, 20_000) * 120 * 1.5),
		Bound: 2 * time.Second, Lateness: 30 * time.Second,
		View: view,
	})

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)

	if opts.rate >= 0 {
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(5*time.Millisecond))
		if err != nil {
			return err
		}
		defer cl.Close()
		gen := newVoteGen(genConfig{Polls: opts.polls, Voters: opts.voters, Seed: uint64(time.Now().UnixNano()),
			DupShare: 0.05, BadShare: 0.01, Jitter: time.Second}, cat)
		wg.Go(func() {
			if err := produceVotes(runCtx, cl, topicVotes, gen, opts.rate, 0, &produced); err != nil && runCtx.Err() == nil {
				errs <- err
			}
		})
	}
	if opts.http != "" {
		ln, err := net.Listen("tcp", opts.http)
		if err != nil {
			return fmt.Errorf("live view: %w", err)
		}
		srv := &http.Server{Handler: view.handler(), ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(out, "live view on http://%s/ (JSON at /api/results)\n", ln.Addr())
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		})
		stopServer := context.AfterFunc(runCtx, func() {
			shutdown, done := context.WithTimeout(context.Background(), 2*time.Second)
			defer done()
			_ = srv.Shutdown(shutdown)
		})
		defer stopServer()
	}
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				fmt.Fprintln(out, stats.summary().line())
			}
		}
	})

	jobErr := make(chan error, 1)
	go func() { jobErr <- p.Run(runCtx) }()
	var err error
	select {
	case err = <-jobErr:
	case err = <-errs:
		cancel()
		<-jobErr
	}
	cancel()
	wg.Wait()
	fmt.Fprintln(out, "final:", stats.summary().line())
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// createTopics creates the example's topics on a real cluster if missing.
func createTopics(ctx context.Context, brokers []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, partitions, -1, nil, topicVotes, topicResults, topicDLQ, topicLate)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for _, t := range resp.Sorted() {
		if t.Err != nil && !errors.Is(t.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t.Topic, t.Err)
		}
	}
	return nil
}

// summary is the live summary of the job.
type summary struct {
	Elapsed     time.Duration `json:"elapsed"`
	Produced    int64         `json:"produced"`
	Votes       uint64        `json:"votes"`
	InPerSec    float64       `json:"inPerSec"`
	Valid       uint64        `json:"valid"`
	Duplicates  uint64        `json:"duplicates"`
	DeadLetters uint64        `json:"deadLetters"`
	Late        uint64        `json:"late"`
	Results     uint64        `json:"results"`
	Lag         int64         `json:"lag"`
	Watermark   time.Time     `json:"watermark"`
}

func (s summary) line() string {
	wm := "–"
	if !s.Watermark.IsZero() {
		wm = s.Watermark.Format("15:04:05")
	}
	return fmt.Sprintf("%6.0fs  in %8.0f/s  read %9d  dup %7d  malformed %6d  late %5d  results %8d  lag %7d  watermark %s",
		s.Elapsed.Seconds(), s.InPerSec, s.Votes, s.Duplicates, s.DeadLetters, s.Late, s.Results, s.Lag, wm)
}

// statsReader turns the pipeline's stage metrics into summaries, with the
// input rate measured between calls.
type statsReader struct {
	p        func() *stream.Pipeline
	produced *atomic.Int64
	start    time.Time

	mu       sync.Mutex
	lastAt   time.Time
	lastRead uint64
	rate     float64
}

func newStatsReader(p func() *stream.Pipeline, produced *atomic.Int64, start time.Time) *statsReader {
	return &statsReader{p: p, produced: produced, start: start, lastAt: start}
}

func (r *statsReader) summary() summary {
	p := r.p()
	if p == nil {
		return summary{}
	}
	get := func(name string) stream.StageMetrics { m, _ := p.Stage(name); return m }
	src, dedupe, out := get(stageVotes), get(stageDedupe), get(stageOut)
	valid := get(stageValidate)
	late := get(stageCount10s).Late + get(stageCount1m).Late
	read := src.Out + src.Errors
	s := summary{
		Elapsed: time.Since(r.start).Round(time.Second), Produced: r.produced.Load(), Votes: read,
		Valid: valid.Out, Duplicates: dedupe.Dropped, DeadLetters: src.Errors + valid.Errors,
		Late: late, Results: out.In, Lag: r.produced.Load() - int64(read),
	}
	if wm := get(stageCount10s).Watermark; wm != stream.MinTime && wm != stream.MaxTime {
		s.Watermark = stream.ToTime(wm)
	}
	r.mu.Lock()
	now := time.Now()
	if dt := now.Sub(r.lastAt).Seconds(); dt >= 0.5 {
		r.rate = float64(read-r.lastRead) / dt
		r.lastAt, r.lastRead = now, read
	}
	s.InPerSec = r.rate
	r.mu.Unlock()
	return s
}
