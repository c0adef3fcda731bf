package main

import (
	_ "embed"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// liveView keeps the latest results per poll for the HTTP view.
type liveView struct {
	mu      sync.RWMutex
	polls   map[string]*pollView
	summary func() summary
}

type pollView struct {
	Poll      string           `json:"poll"`
	End10s    time.Time        `json:"end10s"`
	Votes10s  map[string]int64 `json:"votes10s"`
	Voters10s uint64           `json:"voters10s"`
	End1m     time.Time        `json:"end1m"`
	Votes1m   map[string]int64 `json:"votes1m"`
	Top1m     []TopItem        `json:"top1m"`
}

func newLiveView(summary func() summary) *liveView {
	return &liveView{polls: map[string]*pollView{}, summary: summary}
}

// update folds one result in: results of the newest window replace older
// ones; late updates of an older window are ignored here (they are in the
// results topic).
func (lv *liveView) update(r Result) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	pv := lv.polls[r.Poll]
	if pv == nil {
		pv = &pollView{Poll: r.Poll, Votes10s: map[string]int64{}, Votes1m: map[string]int64{}}
		lv.polls[r.Poll] = pv
	}
	switch r.Kind {
	case stageCount10s:
		if r.End.After(pv.End10s) {
			pv.End10s, pv.Votes10s, pv.Voters10s = r.End, map[string]int64{}, 0
		}
		if r.End.Equal(pv.End10s) {
			pv.Votes10s[r.Option] = r.Votes
		}
	case stageVoters:
		if !r.End.Before(pv.End10s) {
			pv.End10s, pv.Voters10s = r.End, r.Voters
		}
	case stageCount1m:
		if r.End.After(pv.End1m) {
			pv.End1m, pv.Votes1m = r.End, map[string]int64{}
		}
		if r.End.Equal(pv.End1m) {
			pv.Votes1m[r.Option] = r.Votes
		}
	case stageTop:
		if !r.End.Before(pv.End1m) {
			pv.End1m, pv.Top1m = r.End, r.Top
		}
	}
}

type snapshot struct {
	Summary summary     `json:"summary"`
	Polls   []*pollView `json:"polls"`
}

func (lv *liveView) snapshot() snapshot {
	lv.mu.RLock()
	defer lv.mu.RUnlock()
	s := snapshot{Polls: make([]*pollView, 0, len(lv.polls))}
	for _, pv := range lv.polls {
		c := *pv
		c.Votes10s, c.Votes1m = maps.Clone(pv.Votes10s), maps.Clone(pv.Votes1m)
		c.Top1m = slices.Clone(pv.Top1m)
		s.Polls = append(s.Polls, &c)
	}
	slices.SortFunc(s.Polls, func(a, b *pollView) int { return strings.Compare(a.Poll, b.Poll) })
	if lv.summary != nil {
		s.Summary = lv.summary()
	}
	return s
}

//go:embed index.html
var indexHTML []byte

// handler serves the page at / and the results as JSON at /api/results.
func (lv *liveView) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/results", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(lv.snapshot())
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(indexHTML)
	})
	return mux
}
