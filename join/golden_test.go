package join

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weirhq/weir/stream"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The golden files in testdata are scripts driving one join operator
// directly (no runtime), one command a line:
//
//	window size=10 slide=10 kind=full     start a window join
//	interval lower=-2 upper=3 [outer]     start an interval join
//	table [versioned=R] [await=wm|await=T] [left]   start a table join
//	left a:1@3      a left (stream) element: key a, payload 1, time 3
//	right a:x@5     a right element (window and interval joins)
//	set a:x@5       an upsert in the changelog (table joins)
//	del a@7         a tombstone (table joins)
//	wm 9            a watermark ("wm max" is the final one)
//	cancel          end of input without the final watermark
//
// Each command is followed by what the operator did, indented: results as
// "(left, right)@time" with "-" for an absent side, and late or dropped
// counts. Run with -update to rewrite the expected parts.

type gv struct{ K, V string }

func (g gv) String() string { return g.K + ":" + g.V }
func (g gv) key() string    { return g.K }

type gout = pair

func gpair(l, r Opt[gv]) gout {
	s := func(o Opt[gv]) string {
		if !o.Ok {
			return "-"
		}
		return o.Value.String()
	}
	return gout{s(l), s(r)}
}

func parseTime(s string) int64 {
	if s == "max" {
		return stream.MaxTime
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// parseElem parses "k:v@t" (or "k@t").
func parseElem(s string) (gv, int64) {
	at := strings.LastIndexByte(s, '@')
	kv, t := s[:at], parseTime(s[at+1:])
	k, v, _ := strings.Cut(kv, ":")
	return gv{k, v}, t
}

func args(fields []string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

type goldenOp struct {
	op    stream.Operator2[gv, gv] // for window and interval joins
	table stream.Operator2[gv, Change[string, gv]]
	c     *capture[gout]
}

func newGoldenOp(line string) *goldenOp {
	f := strings.Fields(line)
	a := args(f[1:])
	g := &goldenOp{c: &capture[gout]{}}
	switch f[0] {
	case "window":
		size, slide := parseTime(a["size"]), parseTime(a["size"])
		if s, ok := a["slide"]; ok {
			slide = parseTime(s)
		}
		kind := map[string]Kind{"inner": Inner, "left": LeftOuter, "right": RightOuter, "full": FullOuter}[a["kind"]]
		j := newWindowJoin(Windows{size, slide}, kind, gv.key, gv.key, gpair)
		j.base = g.c.base()
		j.dropped = func(n int) { g.c.drop += n }
		g.op = j
	case "interval":
		_, outer := a["outer"]
		j := newIntervalJoin(parseTime(a["lower"]), parseTime(a["upper"]), outer, gv.key, gv.key, func(l gv, r Opt[gv]) gout { return gpair(Some(l), r) })
		j.base = g.c.base()
		g.op = j
	case "table":
		cfg := tableConfig{until: stream.MinTime}
		if r, ok := a["versioned"]; ok {
			cfg.versioned, cfg.retention = true, parseTime(r)
		}
		switch w := a["await"]; w {
		case "":
		case "wm":
			cfg.until = stream.MaxTime
		default:
			cfg.until = parseTime(w)
		}
		var j *tableJoin[string, gv, gv, gout]
		if _, left := a["left"]; left {
			j = newTableJoin[string, gv, gv, gout](cfg, gv.key, nil, func(s gv, v Opt[gv]) gout { return gpair(Some(s), v) })
		} else {
			j = newTableJoin[string, gv, gv, gout](cfg, gv.key, func(s, v gv) gout { return gpair(Some(s), Some(v)) }, nil)
		}
		j.base = g.c.base()
		j.dropped = func(n int) { g.c.drop += n }
		g.table = j
	default:
		return nil
	}
	return g
}

// exec runs one command and returns what the operator did.
func (g *goldenOp) exec(line string) []string {
	f := strings.Fields(line)
	switch f[0] {
	case "left":
		v, t := parseElem(f[1])
		if g.op != nil {
			g.op.ProcessLeft([]stream.Event[gv]{{Value: v, Time: t}})
		} else {
			g.table.ProcessLeft([]stream.Event[gv]{{Value: v, Time: t}})
		}
	case "right":
		v, t := parseElem(f[1])
		g.op.ProcessRight([]stream.Event[gv]{{Value: v, Time: t}})
	case "set", "del":
		v, t := parseElem(f[1])
		ch := Upsert(v.K, v)
		if f[0] == "del" {
			ch = Delete[string, gv](v.K)
		}
		g.table.ProcessRight([]stream.Event[Change[string, gv]]{{Value: ch, Time: t}})
	case "wm":
		if g.op != nil {
			g.op.OnWatermark(parseTime(f[1]))
		} else {
			g.table.OnWatermark(parseTime(f[1]))
		}
	case "cancel":
		if g.op != nil {
			g.op.OnEnd()
		} else {
			g.table.OnEnd()
		}
	default:
		return []string{"unknown command"}
	}
	var out []string
	for _, e := range g.c.out {
		t := strconv.FormatInt(e.Time, 10)
		if e.Time == stream.MaxTime {
			t = "max"
		}
		out = append(out, fmt.Sprintf("(%s, %s)@%s", e.Value.L, e.Value.R, t))
	}
	if g.c.late > 0 {
		out = append(out, fmt.Sprintf("late %d", g.c.late))
	}
	if g.c.drop > 0 {
		out = append(out, fmt.Sprintf("dropped %d", g.c.drop))
	}
	g.c.out, g.c.late, g.c.drop = g.c.out[:0], 0, 0
	return out
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			var g *goldenOp
			sc := bufio.NewScanner(strings.NewReader(string(data)))
			for sc.Scan() {
				line := sc.Text()
				trimmed := strings.TrimSpace(line)
				if strings.HasPrefix(line, "  ") {
					continue // expected output, regenerated below
				}
				b.WriteString(line + "\n")
				if trimmed == "" || strings.HasPrefix(trimmed, "#") {
					continue
				}
				if op := newGoldenOp(trimmed); op != nil {
					g = op
					continue
				}
				if g == nil {
					t.Fatalf("%s: command before any join: %q", file, line)
				}
				for _, o := range g.exec(trimmed) {
					b.WriteString("  " + o + "\n")
				}
			}
			got := b.String()
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Errorf("%s differs from the operator's transcript (run with -update and review the diff):\n%s", file, got)
			}
		})
	}
}
