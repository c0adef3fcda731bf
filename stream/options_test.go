package stream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func optIdent(x int64) int64 { return x }

func optParseOdd(x int64) (int64, error) {
	if x%2 == 1 {
		return 0, errors.New("odd")
	}
	return x, nil
}

// optPassOp is an Operator passing its elements on.
type optPassOp struct{ c *OpContext[int64] }

func (o optPassOp) ProcessBatch(b []Event[int64]) {
	for _, e := range b {
		o.c.Out.EmitAt(e.Value, e.Time)
	}
}
func (optPassOp) OnWatermark(int64) {}
func (optPassOp) OnEnd()            {}

func optNewPass(c *OpContext[int64]) Operator[int64] { return optPassOp{c} }

// optDropOp2 is an Operator2 dropping everything.
type optDropOp2 struct{}

func (optDropOp2) ProcessLeft([]Event[int64])  {}
func (optDropOp2) ProcessRight([]Event[int64]) {}
func (optDropOp2) OnWatermark(int64)           {}
func (optDropOp2) OnEnd()                      {}

func optNewDrop2(*OpContext[int64]) Operator2[int64, int64] { return optDropOp2{} }

// TestStageOptionsThatDoNotApply checks that an option given to a stage it
// means nothing for makes Run fail with ErrInvalidPipeline naming the option,
// and that every option a stage takes is still accepted.
func TestStageOptionsThatDoNotApply(t *testing.T) {
	src := func(p *Pipeline) Stream[int64] { return From(p, sliceSource([]int64{1, 2, 3})) }
	key := func(x int64) int64 { return x % 2 }
	sink := func() Sink[int64] { return &collectSink[int64]{} }
	invalid := []struct {
		name  string
		build func(p *Pipeline)
		want  string // in the error
	}{
		{"Parallelism on Map", func(p *Pipeline) { To(Map(src(p), optIdent, Parallelism(4)), sink()) },
			`stage "map#1": option Parallelism does not apply to a map stage`},
		{"OnError on Map", func(p *Pipeline) { To(Map(src(p), optIdent, OnError(SkipOnError)), sink()) },
			"option OnError does not apply to a map stage"},
		{"OnError on Filter", func(p *Pipeline) {
			To(Filter(src(p), func(int64) bool { return true }, Name("f"), OnError(SkipOnError)), sink())
		}, `stage "f": option OnError does not apply to a filter stage`},
		{"OnError on FlatMap", func(p *Pipeline) {
			To(FlatMap(src(p), func(x int64, emit func(int64)) { emit(x) }, OnError(SkipOnError)), sink())
		}, "option OnError does not apply to a flatmap stage"},
		{"OnError on Tap", func(p *Pipeline) { To(Tap(src(p), func(int64) {}, OnError(SkipOnError)), sink()) },
			"option OnError does not apply to a tap stage"},
		{"OnError on sink", func(p *Pipeline) { To(src(p), sink(), Name("out"), OnError(SkipOnError)) },
			`stage "out": option OnError does not apply to a sink stage`},
		{"Parallelism on sink", func(p *Pipeline) { To(src(p), sink(), Parallelism(2)) },
			"option Parallelism does not apply to a sink stage"},
		{"Name on KeyBy", func(p *Pipeline) { To(Dedupe(KeyBy(src(p), key, Name("kb")), time.Second), sink()) },
			`KeyBy after "source#0": option Name does not apply to KeyBy`},
		{"OnError on KeyBy", func(p *Pipeline) {
			To(Dedupe(KeyBy(src(p), key, OnError(SkipOnError)), time.Second), sink())
		}, "option OnError does not apply to KeyBy"},
		{"Watermarks on KeyBy", func(p *Pipeline) {
			To(Dedupe(KeyBy(src(p), key, Watermarks(NoWatermarks())), time.Second), sink())
		}, "option Watermarks does not apply to KeyBy"},
		{"Parallelism on keyed stage", func(p *Pipeline) {
			To(Dedupe(KeyBy(src(p), key), time.Second, Parallelism(2)), sink())
		}, "option Parallelism does not apply to a dedupe stage"},
		{"OnError on Dedupe", func(p *Pipeline) {
			To(Dedupe(KeyBy(src(p), key), time.Second, OnError(SkipOnError)), sink())
		}, "option OnError does not apply to a dedupe stage"},
		{"OnError on DedupeApprox", func(p *Pipeline) {
			To(DedupeApprox(KeyBy(src(p), key), func() ApproxSeen { return &exactSeen{horizon: 1, at: map[uint64]int64{}} },
				func(k int64) uint64 { return uint64(k) }, OnError(SkipOnError)), sink())
		}, "option OnError does not apply to a dedupe stage"},
		{"Parallelism on operator", func(p *Pipeline) { To(Apply(src(p), "nop", optNewPass, Parallelism(2)), sink()) },
			"option Parallelism does not apply to a nop stage"},
		{"Parallelism on two-input stage", func(p *Pipeline) {
			s := src(p)
			To(ApplyKeyed2(KeyBy(s, key), KeyBy(s, key), "j", optNewDrop2, Parallelism(2)), sink())
		}, "option Parallelism does not apply to a j stage"},
		{"Parallelism on source", func(p *Pipeline) { To(From(p, sliceSource([]int64{1}), Parallelism(2)), sink()) },
			"option Parallelism does not apply to a source stage"},
		{"IdleTimeout on Map", func(p *Pipeline) { To(Map(src(p), optIdent, IdleTimeout(time.Second)), sink()) },
			"option IdleTimeout does not apply to a map stage"},
		{"EventTime on MapErr", func(p *Pipeline) {
			To(MapErr(src(p), optParseOdd, EventTime(func(int64) time.Time { return time.Time{} })), sink())
		}, "option EventTime does not apply to a map stage"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			p := New()
			c.build(p)
			err := p.Run(context.Background())
			if !errors.Is(err, ErrInvalidPipeline) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrInvalidPipeline with %q", err, c.want)
			}
		})
	}

	valid := []struct {
		name  string
		build func(p *Pipeline)
	}{
		{"source", func(p *Pipeline) {
			To(From(p, sliceSource([]int64{1}), Name("in"), OnError(SkipOnError),
				EventTime(func(x int64) time.Time { return time.Unix(0, x) }),
				Watermarks(NoWatermarks()), IdleTimeout(time.Second)), sink())
		}},
		{"plain stages", func(p *Pipeline) {
			s := Map(src(p), optIdent, Name("m"))
			s = Filter(s, func(int64) bool { return true }, Name("f"))
			s = FlatMap(s, func(x int64, emit func(int64)) { emit(x) }, Name("fm"))
			To(Tap(s, func(int64) {}, Name("t")), sink(), Name("out"))
		}},
		{"MapErr", func(p *Pipeline) { To(MapErr(src(p), optParseOdd, Name("parse"), OnError(SkipOnError)), sink()) }},
		{"keyed", func(p *Pipeline) {
			d := Dedupe(KeyBy(src(p), key, Parallelism(2)), time.Second, Name("d"))
			count := func(c *KeyedContext[int64, int, int64], v int64) { c.Emit(v) }
			To(Process(KeyBy(d, key), count, nil, Name("p"), OnError(SkipOnError)), sink())
		}},
		{"operators", func(p *Pipeline) {
			s := Apply(src(p), "nop", optNewPass, Name("nop"), OnError(SkipOnError))
			To(ApplyKeyed2(KeyBy(s, key, Parallelism(2)), KeyBy(s, key), "j", optNewDrop2, Name("j"), OnError(SkipOnError)), sink())
		}},
		{"nil option", func(p *Pipeline) { To(Map(src(p), optIdent, nil), sink(), nil) }},
	}
	for _, c := range valid {
		t.Run(c.name, func(t *testing.T) {
			p := New()
			c.build(p)
			if err := p.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSharedNameSharesErrorPolicy checks that stages sharing a name share the
// first one's error policy, and that a later stage setting another one makes
// the pipeline invalid instead of being silently ignored.
func TestSharedNameSharesErrorPolicy(t *testing.T) {
	in := []int64{0, 1, 2, 3}
	cases := []struct {
		name          string
		def           ErrorPolicy // the pipeline's
		first, second []StageOption
		invalid       bool
	}{
		{"different OnError", FailOnError, []StageOption{OnError(SkipOnError)}, []StageOption{OnError(DeadLetterOnError)}, true},
		{"OnError differs from the default the first took", FailOnError, nil, []StageOption{OnError(SkipOnError)}, true},
		{"same OnError", FailOnError, []StageOption{OnError(SkipOnError)}, []StageOption{OnError(SkipOnError)}, false},
		{"OnError equal to the default the first took", SkipOnError, nil, []StageOption{OnError(SkipOnError)}, false},
		{"second inherits the first's", FailOnError, []StageOption{OnError(SkipOnError)}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := New(WithErrorPolicy(c.def))
			dead := &collectSink[DeadLetter]{}
			To(p.DeadLetters(), dead)
			s := From(p, sliceSource(in))
			out1, out2 := &collectSink[int64]{}, &collectSink[int64]{}
			To(MapErr(s, optParseOdd, append([]StageOption{Name("parse")}, c.first...)...), out1)
			To(MapErr(s, optParseOdd, append([]StageOption{Name("parse")}, c.second...)...), out2)
			err := p.Run(context.Background())
			if c.invalid {
				if !errors.Is(err, ErrInvalidPipeline) || !strings.Contains(err.Error(), `stage "parse": OnError`) {
					t.Fatalf("got %v, want ErrInvalidPipeline naming the stage and OnError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Both stages skip under the shared policy.
			m, _ := p.Stage("parse")
			if got, want := fmt.Sprint(out1.values(), out2.values(), m.Errors, len(dead.values())), "[0 2] [0 2] 4 0"; got != want {
				t.Fatalf("got %s, want %s (outputs, shared errors, dead letters)", got, want)
			}
		})
	}
}

// TestZeroStream checks that building on the zero Stream panics with a
// message naming the misuse (there is no pipeline whose Run could report it)
// rather than with a nil dereference, and that a zero Stream among a Union's
// inputs is reported by Run of the other inputs' pipeline.
func TestZeroStream(t *testing.T) {
	var zero Stream[int64]
	var zeroKeyed KeyedStream[int64, int64]
	cases := []struct {
		fn    string
		build func()
	}{
		{"Map", func() { Map(zero, optIdent) }},
		{"MapErr", func() { MapErr(zero, optParseOdd) }},
		{"Filter", func() { Filter(zero, func(int64) bool { return true }) }},
		{"FlatMap", func() { FlatMap(zero, func(int64, func(int64)) {}) }},
		{"Tap", func() { Tap(zero, func(int64) {}) }},
		{"To", func() { To(zero, &collectSink[int64]{}) }},
		{"KeyBy", func() { KeyBy(zero, optIdent) }},
		{"Union", func() { Union[int64]() }},
		{"Union", func() { Union(zero, zero) }},
		{"dedupe", func() { Dedupe(zeroKeyed, time.Second) }},
		{"nop", func() { ApplyKeyed(zeroKeyed, "nop", optNewPass) }},
		{"nop", func() { Apply(zero, "nop", func(*OpContext[int64]) Operator[int64] { return nil }) }},
		{"pair", func() { ApplyKeyed2(zeroKeyed, zeroKeyed, "pair", optNewDrop2) }},
		{"nil *Pipeline", func() { From[int64](nil, sliceSource([]int64{1})) }},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "stream: "+c.fn) {
					t.Fatalf("panic %v, want a message starting %q", r, "stream: "+c.fn)
				}
			}()
			c.build()
		})
	}
	if zero.Pipeline() != nil || zero.Name() != "" || zeroKeyed.Pipeline() != nil {
		t.Fatalf("zero Stream: Pipeline %v, Name %q; zero KeyedStream: Pipeline %v", zero.Pipeline(), zero.Name(), zeroKeyed.Pipeline())
	}

	p := New()
	To(Union(zero, From(p, sliceSource([]int64{1}))), &collectSink[int64]{})
	if err := p.Run(context.Background()); !errors.Is(err, ErrInvalidPipeline) || !strings.Contains(err.Error(), "zero Stream") {
		t.Fatalf("Union(zero, s): got %v, want ErrInvalidPipeline naming the zero Stream", err)
	}
}

// TestZeroLeftInput: a two-input stage whose left input is the zero
// KeyedStream and whose right one is valid makes the right one's pipeline
// invalid, as for any zero input beside a valid one, rather than panicking.
func TestZeroLeftInput(t *testing.T) {
	p := New()
	right := KeyBy(From(p, sliceSource([]int64{1})), optIdent)
	var zero KeyedStream[int64, int64]
	To(ApplyKeyed2(zero, right, "pair", optNewDrop2), &collectSink[int64]{})
	if err := p.Run(context.Background()); !errors.Is(err, ErrInvalidPipeline) || !strings.Contains(err.Error(), "zero Stream") {
		t.Fatalf("err = %v, want ErrInvalidPipeline naming the zero Stream", err)
	}
}
