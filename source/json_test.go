package source_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

type view struct {
	Page string `json:"page"`
	User int    `json:"user"`
}

// Line 3 is not JSON, line 5 does not fit the type, line 4 is blank.
const viewsJSON = `{"page":"/a","user":1}
{"page":"/b","user":2}
{"page":"/c", oops}

{"page":"/d","user":"four"}
{"page":"/e","user":5}
`

var goodViews = []view{{"/a", 1}, {"/b", 2}, {"/e", 5}}

func TestJSONFailNamesLine(t *testing.T) {
	p := stream.New()
	c := sink.Collect[view]()
	sink.To(stream.From(p, source.JSON[view](strings.NewReader(viewsJSON)), stream.Name("json")), c)
	err := p.Run(context.Background())
	var se *stream.StageError
	if !errors.As(err, &se) || se.Stage != "json" {
		t.Fatalf("Run = %v, want a *stream.StageError of stage json", err)
	}
	var le *source.LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("Run = %v, want a *source.LineError at line 3", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"json"`) || !strings.Contains(msg, "line 3: invalid character") {
		t.Fatalf("error %q does not name the stage and the line", msg)
	}
	// What came before the bad line may have been delivered; nothing after.
	for _, v := range c.Values() {
		if v.Page > "/b" {
			t.Fatalf("element %v after the failing line was delivered", v)
		}
	}
}

func TestJSONSkipCounts(t *testing.T) {
	p := stream.New()
	c := sink.Collect[view]()
	sink.To(stream.From(p, source.JSON[view](strings.NewReader(viewsJSON)), stream.Name("json"), stream.OnError(stream.SkipOnError)), c)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	equal(t, c.Values(), goodViews)
	m, ok := p.Stage("json")
	if !ok || m.Errors != 2 || m.Out != 3 {
		t.Fatalf("stage metrics %+v, want Errors 2 Out 3", m)
	}
}

func TestJSONDeadLetter(t *testing.T) {
	p := stream.New(stream.WithErrorPolicy(stream.DeadLetterOnError))
	c := sink.Collect[view]()
	dl := sink.Collect[stream.DeadLetter]()
	sink.To(stream.From(p, source.JSON[view](strings.NewReader(viewsJSON)), stream.Name("json")), c)
	sink.To(p.DeadLetters(), dl)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	equal(t, c.Values(), goodViews)
	got := dl.Values()
	if len(got) != 2 {
		t.Fatalf("got %d dead letters, want 2: %+v", len(got), got)
	}
	for i, want := range []struct {
		line, raw string
	}{{"3", `{"page":"/c", oops}`}, {"5", `{"page":"/d","user":"four"}`}} {
		d := got[i]
		var le *source.LineError
		if d.Stage != "json" || string(d.Raw) != want.raw || d.Meta["line"] != want.line ||
			!errors.As(d.Err, &le) || d.Value != nil {
			t.Errorf("dead letter %d = %+v (raw %q), want line %s raw %q", i, d, d.Raw, want.line, want.raw)
		}
	}
	if m, _ := p.Stage("json"); m.Errors != 2 {
		t.Fatalf("Errors = %d, want 2", m.Errors)
	}
}

// Every input line ends up somewhere under every policy: an element, a
// counted error or a dead letter.
func TestJSONNothingLost(t *testing.T) {
	var b strings.Builder
	want := 0
	for i := range 5000 {
		if i%7 == 3 {
			b.WriteString("{broken\n")
		} else {
			b.WriteString(`{"page":"/x","user":1}` + "\n")
			want++
		}
	}
	p := stream.New(stream.WithBatchSize(64))
	c := sink.Discard[view]()
	dl := sink.Discard[stream.DeadLetter]()
	sink.To(stream.From(p, source.JSON[view](strings.NewReader(b.String())), stream.Name("json"), stream.OnError(stream.DeadLetterOnError)), c)
	sink.To(p.DeadLetters(), dl)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Count() != int64(want) || c.Count()+dl.Count() != 5000 {
		t.Fatalf("elements %d (want %d) + dead letters %d != 5000", c.Count(), want, dl.Count())
	}
}
