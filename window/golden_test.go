package window

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weirhq/weir/stream"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestGolden runs the scripts in testdata/*.txt against the window engine
// directly (no runtime: exact and deterministic). A case is
//
//	run <assigner and options, see parseOpts>
//	e KEY VALUE @TIME [, KEY VALUE @TIME ...]   (one input batch)
//	wm TIME | tick | end
//	----
//	<expected output: each command echoed with "> ", then what it emitted>
//
// Cases are separated by blank lines; lines starting with # are comments.
// go test -run Golden -update rewrites the expected parts.
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
			var out strings.Builder
			changed := false
			for _, block := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
				input, want, _ := strings.Cut(block, "----\n")
				input = strings.TrimSuffix(input, "----")
				got := runScript(t, input)
				if strings.TrimSpace(want) != strings.TrimSpace(got) {
					changed = true
					if !*update {
						t.Errorf("%s\ngot:\n%s\nwant:\n%s", input, got, want)
					}
				}
				out.WriteString(strings.TrimRight(input, "\n") + "\n----\n" + strings.TrimSpace(got) + "\n\n")
			}
			if *update && changed {
				if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func runScript(t *testing.T, input string) string {
	var h *harness
	var b strings.Builder
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, rest, _ := strings.Cut(line, " ")
		if cmd == "run" {
			a, opts, err := parseOpts(rest)
			if err != nil {
				t.Fatal(err)
			}
			if h, err = newHarness(a, opts...); err != nil {
				return "error: " + err.Error()
			}
			continue
		}
		if h == nil {
			t.Fatalf("%q before run", line)
		}
		fmt.Fprintf(&b, "> %s\n", line)
		n0, l0 := len(h.out), len(h.late)
		switch cmd {
		case "e":
			var batch []stream.Event[ev]
			for _, el := range strings.Split(rest, ",") {
				f := strings.Fields(el)
				if len(f) != 3 || !strings.HasPrefix(f[2], "@") {
					t.Fatalf("bad element %q", el)
				}
				v, _ := strconv.ParseInt(f[1], 10, 64)
				ts, _ := strconv.ParseInt(f[2][1:], 10, 64)
				batch = append(batch, stream.Event[ev]{Value: ev{f[0], v}, Time: ts})
			}
			h.e.process(batch)
		case "wm":
			w, _ := strconv.ParseInt(rest, 10, 64)
			h.e.advance(w)
		case "tick":
			h.e.earlyTick()
		case "end":
			h.e.advance(stream.MaxTime)
		default:
			t.Fatalf("unknown command %q", line)
		}
		for i := n0; i < len(h.out); i++ {
			r := h.out[i]
			fmt.Fprintf(&b, "%s %s %s %v @%s\n", r.Firing, r.Key, span(r.Start, r.End), r.Value, tstr(h.outT[i]))
		}
		for _, l := range h.late[l0:] {
			fmt.Fprintf(&b, "late-element %s %d @%d\n", l.Value.K, l.Value.V, l.Time)
		}
	}
	return b.String()
}

func tstr(t int64) string {
	switch t {
	case stream.MinTime:
		return "min"
	case stream.MaxTime:
		return "max"
	case stream.MaxTime - 1:
		return "max-1"
	}
	return strconv.FormatInt(t, 10)
}

func span(s, e int64) string { return "[" + tstr(s) + "," + tstr(e) + ")" }
