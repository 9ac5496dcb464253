package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium, or $MEMSVC_CHROMIUM) and returns a chromedp
// context for one tab. Without Chromium the test skips, unless MEMSVC_REQUIRE_BROWSER=1 (CI, set
// by scripts/test once it installed it), where it fails. Every uncaught page error and console or
// browser-log error (a failed request, a Content-Security-Policy violation) fails the test, but
// for those that contain one of allow.
func browser(t *testing.T, allow ...string) context.Context {
	t.Helper()
	path := os.Getenv("MEMSVC_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("MEMSVC_REQUIRE_BROWSER") == "1" {
			t.Fatalf("MEMSVC_REQUIRE_BROWSER=1 but there is no Chromium at %s: %v", path, err)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium, or set MEMSVC_CHROMIUM)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil { // starts the browser
		cancelTab()
		cancelAlloc()
		t.Fatalf("start %s: %v", path, err)
	}
	var (
		mu   sync.Mutex
		errs []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if (m.IsException() || m.Type == "error") && !slices.ContainsFunc(allow, func(a string) bool { return strings.Contains(m.String(), a) }) {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s (%s:%d:%d)", m.String(), m.URL, m.Line+1, m.Column+1))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("page error: %s", e)
		}
	})
	return ctx
}

// shots writes each view's screenshot to the test's artifact directory (kept with go test
// -artifacts) and, when MEMSVC_UI_SCREENSHOTS names a directory (docs/screenshots for the
// README), there too.
type shots struct {
	t    *testing.T
	dirs []string
}

func newShots(t *testing.T) *shots {
	s := &shots{t: t, dirs: []string{t.ArtifactDir()}}
	if d := os.Getenv("MEMSVC_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		s.dirs = append(s.dirs, d)
	}
	return s
}

func (s *shots) take(ctx context.Context, name string) { s.write(ctx, name, s.dirs) }

// artifact takes a screenshot into the artifact directory only (not one the README shows).
func (s *shots) artifact(ctx context.Context, name string) { s.write(ctx, name, s.dirs[:1]) }

func (s *shots) write(ctx context.Context, name string, dirs []string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	s.t.Logf("screenshot %s.png: %d bytes", name, len(png))
}

// open navigates to a route of the inspector and waits until its view has rendered.
func open(t *testing.T, ctx context.Context, base, route string) {
	t.Helper()
	sel := `div[data-route=` + jsString(strings.TrimPrefix(route, "#/")) + `][data-ready]`
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Navigate(base+"/ui/"+route), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("open %s: %v", route, err)
	}
}

// rerender runs actions that make the view render again (a write, then its reload) and waits
// until the new rendering is ready.
func rerender(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	eval(t, ctx, `document.querySelector('[data-route]').dataset.stale = '1'`, new(string))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('[data-route][data-ready]:not([data-stale])')`)
}

// eval runs a JavaScript expression in the page and decodes its value into out.
func eval[T any](t *testing.T, ctx context.Context, expr string, out *T) {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	*out = v
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type passageAnswer struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	SupersededBy string `json:"superseded_by"`
}

// TestInspector drives the web inspector in headless Chromium against a real memsvc: an agent paged
// past its window, then every view checked against the API, with a screenshot of each.
func TestInspector(t *testing.T) {
	ctx := browser(t)
	m := testMain(t, t.TempDir())
	defer m.Close()
	base := "http://" + m.Addr()
	c := client{t, base}
	shot := newShots(t)

	// An agent paged past its 2,400-token window (with the memory tools in context); its compactions finish in the background.
	var agent struct {
		ID    string
		Error any
	}
	if st := c.do("POST", "/v1/agents", map[string]any{
		"name": "travel-agent", "system": "You are a travel assistant. Keep the traveller's plans straight.", "context_window": 2400,
		"blocks": []map[string]any{
			{"label": "human", "value": "Name: Alice. Prefers trains over planes.", "limit": 300, "description": "What the agent knows about its user."},
			{"label": "persona", "value": "I am a careful, concise travel assistant.", "limit": 200, "read_only": true},
		},
	}, &agent); st != 201 {
		t.Fatalf("create agent: %d %v", st, agent.Error)
	}
	id := agent.ID
	first := "Note 0: the train to Lyon leaves from platform 0 at 07:00; seat 10 in coach 0. Bring the booking code LY0100"
	var jobs []string
	for i := range 60 {
		content := fmt.Sprintf("Note %d: the train to Lyon leaves from platform %d at %02d:00; seat %d in coach %d. Bring the booking code LY%04d and the rail pass.", i, i%9, 7+i%12, 10+i, i%5, 100+i)
		var a appendAnswer
		if st := c.do("POST", "/v1/agents/"+id+"/messages", map[string]any{"messages": []map[string]any{{"role": "user", "content": content}}}, &a); st != 200 {
			t.Fatalf("append %d: %d", i, st)
		}
		for _, e := range a.Events {
			if e.Type == "compaction_queued" {
				jobs = append(jobs, e.JobID)
			}
		}
	}
	if len(jobs) == 0 {
		t.Fatal("60 messages did not page the agent past its window")
	}
	waitJobs(c, jobs, 60*time.Second)

	// Passages: Alice's city, superseded by key, and one to invalidate and restore.
	insert := func(body map[string]any) passageAnswer {
		var p passageAnswer
		if st := c.do("POST", "/v1/agents/"+id+"/archival", body, &p); st != 201 {
			t.Fatalf("insert passage: %d", st)
		}
		return p
	}
	paris := insert(map[string]any{"text": "Alice lives in Paris.", "key": "alice/city", "valid_from": "2024-01-10T00:00:00Z"})
	berlin := insert(map[string]any{"text": "Alice lives in Berlin now.", "key": "alice/city", "valid_from": "2025-06-01T00:00:00Z"})
	tgv := insert(map[string]any{"text": "Alice's favourite train is the TGV to Lyon.", "tags": []string{"travel"},
		"context": "Which train does Alice like best?"})
	insert(map[string]any{"text": "Alice's passport expires in March 2027.", "valid_from": "2023-03-01T00:00:00Z"})

	t.Run("agents", func(t *testing.T) {
		open(t, ctx, base, "#/agents")
		waitFor(t, ctx, `!!document.querySelector('tr[data-agent=`+jsString(id)+`] .badge')`)
		var want map[string]any
		if st := c.do("GET", "/v1/agents/"+id+"/stats", nil, &want); st != 200 {
			t.Fatalf("stats: %d", st)
		}
		var got map[string]string
		eval(t, ctx, `Object.fromEntries([...document.querySelectorAll('tr[data-agent=`+jsString(id)+`] [data-stat]')].map(e => [e.dataset.stat, e.textContent]))`, &got)
		ctxState := want["context"].(map[string]any)
		for k, v := range map[string]any{"messages": want["messages"], "evicted": want["evicted"], "passages": want["passages"], "in_context": ctxState["in_context"]} {
			if got[k] != fmt.Sprint(v) {
				t.Errorf("agents view %s: page %q, GET …/stats %v", k, got[k], v)
			}
		}
		// The 4 passages inserted above, and the summaries the compactions wrote to archival.
		if n, _ := strconv.Atoi(got["passages"]); got["evicted"] == "0" || n < 4 {
			t.Errorf("agents view: %v; want evicted messages and at least 4 passages", got)
		}
		shot.take(ctx, "agents")
	})

	t.Run("context", func(t *testing.T) {
		var want struct {
			Tokens map[string]int `json:"tokens"`
		}
		if st := c.do("GET", "/v1/agents/"+id+"/context", nil, &want); st != 200 {
			t.Fatalf("context: %d", st)
		}
		open(t, ctx, base, "#/agents/"+id)
		var got map[string]string
		eval(t, ctx, `Object.fromEntries([...document.querySelectorAll('[data-tokens]')].map(e => [e.dataset.tokens, e.textContent]))`, &got)
		for _, k := range []string{"system", "blocks", "tools", "summary", "messages", "total", "window"} {
			if got[k] != fmt.Sprint(want.Tokens[k]) {
				t.Errorf("context bar %s: page shows %q, GET …/context says %d", k, got[k], want.Tokens[k])
			}
		}
		if want.Tokens["summary"] == 0 || want.Tokens["messages"] == 0 {
			t.Errorf("expected a summary and messages in context: %v", want.Tokens)
		}
		var segs int
		eval(t, ctx, `document.querySelectorAll('[data-testid=ctxbar] .seg').length`, &segs)
		if segs != 5 {
			t.Errorf("context bar has %d sections, want 5", segs)
		}
		shot.take(ctx, "context")

		// A block is edited in the page, and the write undone; the read-only one cannot be.
		blockValue := func() string {
			var b struct{ Value string }
			if st := c.do("GET", "/v1/agents/"+id+"/blocks/human", nil, &b); st != 200 {
				t.Fatalf("block: %d", st)
			}
			return b.Value
		}
		before := blockValue()
		var roDisabled bool
		eval(t, ctx, `document.querySelector('textarea[data-block=persona]').disabled && !document.querySelector('[data-block-card=persona] button.primary')`, &roDisabled)
		if !roDisabled {
			t.Error("the read-only block is editable in the page")
		}
		rerender(t, ctx, chromedp.SetValue(chromedp.CSS(`textarea[data-block=human]`), "Name: Alice. Prefers night trains."),
			chromedp.Click(chromedp.CSS(`[data-block-card=human] button.primary`)))
		if got := blockValue(); got != "Name: Alice. Prefers night trains." {
			t.Fatalf("after Save the block is %q", got)
		}
		rerender(t, ctx, chromedp.Click(chromedp.CSS(`[data-block-card=human] [data-action=undo]`)))
		var shown string
		eval(t, ctx, `document.querySelector('textarea[data-block=human]').value`, &shown)
		if shown != before {
			t.Errorf("after Undo the page shows %q, want %q", shown, before)
		}
		if got := blockValue(); got != before {
			t.Fatalf("after Undo the block is %q, want %q", got, before)
		}
	})

	t.Run("timeline", func(t *testing.T) {
		open(t, ctx, base, "#/agents/"+id+"/timeline")
		var row struct {
			InContext string `json:"in_context"`
			Text      string `json:"text"`
		}
		eval(t, ctx, `(() => { const r = document.querySelector('[data-seq="1"]'); return r ? {in_context: r.dataset.inContext, text: r.textContent} : {}; })()`, &row)
		if row.InContext != "0" || !strings.Contains(row.Text, first) || !strings.Contains(row.Text, "evicted") {
			t.Fatalf("message seq 1 in the timeline: %+v; want it evicted, with %q", row, first)
		}
		var events map[string]int
		eval(t, ctx, `[...document.querySelectorAll('[data-event]')].reduce((m, e) => (m[e.dataset.event] = (m[e.dataset.event] || 0) + 1, m), {})`, &events)
		if events["evicted"] == 0 || events["compaction_done"] == 0 || events["summarized"] == 0 || events["memory_pressure"] == 0 {
			t.Errorf("timeline events: %v; want pressure, eviction, compaction done and a summary", events)
		}
		if err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(`[data-event=evicted]`))); err != nil {
			t.Fatal(err)
		}
		eval(t, ctx, `window.scrollBy(0, -300)`, new(any))
		shot.take(ctx, "timeline")
		// A summary links to the messages it came from.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[data-sources]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.querySelectorAll('.tl-row.highlight').length > 0`)
	})

	t.Run("search", func(t *testing.T) {
		query := "Where does Alice live?"
		var want struct {
			Results []struct {
				Passage passageAnswer      `json:"passage"`
				Scores  map[string]float64 `json:"scores"`
			} `json:"results"`
		}
		if st := c.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": query, "k": 10, "include_invalid": true, "mode": "hybrid"}, &want); st != 200 || len(want.Results) == 0 {
			t.Fatalf("search: %d %+v", st, want)
		}
		open(t, ctx, base, "#/agents/"+id+"/search")
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`input[name=query]`), query),
			chromedp.Click(chromedp.CSS(`input[name=compare]`)),
			chromedp.SetValue(chromedp.CSS(`fieldset[data-set=B] input[name=w_validity]`), "0"),
			chromedp.Click(chromedp.CSS(`form[data-testid=searchform] button[type=submit]`)),
		); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `!!document.querySelector('[data-testid=results][data-done]')`)
		var hit struct {
			Passage string            `json:"passage"`
			Parts   map[string]string `json:"parts"`
		}
		eval(t, ctx, `(() => { const h = document.querySelector('[data-setting=A] [data-hit="0"]');
			return {passage: h.dataset.passage, parts: Object.fromEntries([...h.querySelectorAll('[data-part]')].map(e => [e.dataset.part, e.textContent]))}; })()`, &hit)
		top := want.Results[0]
		if hit.Passage != top.Passage.ID {
			t.Fatalf("first hit: page %s, API %s", hit.Passage, top.Passage.ID)
		}
		for _, k := range []string{"relevance", "recency", "validity", "subject", "predicate"} {
			if w := fmt.Sprintf("%.3f", top.Scores[k]); hit.Parts[k] != w {
				t.Errorf("score breakdown %s: page %q, API %s", k, hit.Parts[k], w)
			}
		}
		// The superseded passage is shown greyed, with the passage that superseded it.
		var why string
		eval(t, ctx, `(() => { const h = document.querySelector('[data-setting=A] .hit.suppressed[data-passage=`+jsString(paris.ID)+`] .why'); return h ? h.textContent : ''; })()`, &why)
		if !strings.Contains(why, "superseded by "+berlin.ID) {
			t.Errorf("suppressed Paris passage says %q; want superseded by %s", why, berlin.ID)
		}
		var columns int
		eval(t, ctx, `document.querySelectorAll('[data-setting]').length`, &columns)
		if columns != 2 {
			t.Errorf("%d result columns, want 2 (settings A and B side by side)", columns)
		}
		shot.take(ctx, "search")

		// A recall search finds an evicted message.
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name=target]`), "recall"),
			chromedp.SetValue(chromedp.CSS(`input[name=query]`), "booking code LY0100"),
			chromedp.Click(chromedp.CSS(`input[name=compare]`)),
			chromedp.Click(chromedp.CSS(`form[data-testid=searchform] button[type=submit]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `[...document.querySelectorAll('[data-setting=A] .hit')].some(h => h.textContent.includes(`+jsString(first)+`) && h.textContent.includes('evicted'))`)
	})

	t.Run("validity", func(t *testing.T) {
		historyLen := func() int {
			var l struct{ Items []any }
			if st := c.do("GET", "/v1/agents/"+id+"/archival/"+berlin.ID+"/history", nil, &l); st != 200 {
				t.Fatalf("history: %d", st)
			}
			return len(l.Items)
		}
		// A passage's context is shown beside its text.
		open(t, ctx, base, "#/agents/"+id+"/validity/"+tgv.ID)
		waitFor(t, ctx, `document.querySelector('[data-testid=context]')?.textContent === 'context: Which train does Alice like best?'`)

		rows := `document.querySelectorAll('[data-testid=history] tbody tr').length`
		status := `document.querySelector('[data-testid=status]')?.textContent`
		open(t, ctx, base, "#/agents/"+id+"/validity/"+berlin.ID)
		var n0, chain int
		eval(t, ctx, rows, &n0)
		eval(t, ctx, `document.querySelectorAll('[data-testid=chain] rect[class^=p-]').length`, &chain)
		if n0 == 0 || n0 != historyLen() || chain != 2 {
			t.Fatalf("history rows %d (API %d), chain of %d passages (want 2: Paris, then Berlin)", n0, historyLen(), chain)
		}
		var asOf string
		eval(t, ctx, `(() => { const s = document.querySelector('[data-testid=asof]'); s.value = Date.parse('2024-09-01T00:00:00Z');
			s.dispatchEvent(new Event('input')); return s.parentElement.querySelector('div.muted').textContent; })()`, &asOf)
		if !strings.Contains(asOf, "Alice lives in Paris.") || strings.Contains(asOf, "Berlin") {
			t.Errorf("as of 2024-09-01 the chain shows %q; want Paris only", asOf)
		}
		shot.take(ctx, "validity")

		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`input[name=reason]`), "Alice said she moved again"),
			chromedp.Click(chromedp.CSS(`[data-action=invalidate]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, status+` === 'invalidated' && `+rows+` === `+fmt.Sprint(n0+1))
		shot.artifact(ctx, "validity-invalidated")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-action=restore]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, status+` === 'valid' && `+rows+` === `+fmt.Sprint(n0+2))
		if n := historyLen(); n != n0+2 {
			t.Errorf("history after invalidate and restore: %d entries, want %d", n, n0+2)
		}
	})

	t.Run("compaction", func(t *testing.T) {
		var l struct{ Items []struct{ ID string } }
		if st := c.do("GET", "/v1/agents/"+id+"/compactions", nil, &l); st != 200 || len(l.Items) < len(jobs) {
			t.Fatalf("compactions: %d, %d jobs (want at least %d)", st, len(l.Items), len(jobs))
		}
		open(t, ctx, base, "#/agents/"+id+"/compaction")
		var n int
		eval(t, ctx, `document.querySelectorAll('[data-testid=jobs] tr[data-job]').length`, &n)
		if n != len(l.Items) {
			t.Errorf("compaction view shows %d jobs, the API %d", n, len(l.Items))
		}
		var budget map[string]any
		if st := c.do("GET", "/v1/agents/"+id+"/compaction-budget", nil, &budget); st != 200 {
			t.Fatalf("compaction budget: %d", st)
		}
		var shown map[string]string
		eval(t, ctx, `Object.fromEntries([...document.querySelectorAll('[data-budget]')].map(e => [e.dataset.budget, e.textContent]))`, &shown)
		if shown["used"] != fmt.Sprint(budget["used"]) || shown["tokens_per_period"] != fmt.Sprint(budget["tokens_per_period"]) || budget["used"] == 0.0 {
			t.Errorf("budget: page %v, API %v; want the compactions' tokens charged", shown, budget)
		}
		shot.take(ctx, "compaction")
	})

	t.Run("bench", func(t *testing.T) {
		// Real `memsvc bench --json` output on tiny inputs (not results): testdata/bench-locomo.json
		// from `memsvc bench locomo --data bench/testdata/locomo-tiny.json --json`, and
		// testdata/bench-load.json from `memsvc bench load --duration 2s --agents 2 --ladder
		// 100,1000 --ladder-queries 10 --seed-passages 20 --json`.
		load := func(file string, series int) {
			t.Helper()
			abs, err := filepath.Abs(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=benchfile]`), []string{abs})); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, `document.querySelector('[data-testid=bench] h1')?.textContent === `+jsString(file)+
				` && document.querySelectorAll('[data-testid=plot] polyline').length === `+fmt.Sprint(series))
		}
		open(t, ctx, base, "#/bench")
		load("bench-load.json", 2)   // bm25 and relevance at two ladder sizes
		load("bench-locomo.json", 4) // R@k of bm25, relevance, hybrid and full
		var rows int
		eval(t, ctx, `document.querySelectorAll('[data-testid=bench] table tbody tr').length`, &rows)
		if rows < 10 {
			t.Errorf("the bench view has %d table rows", rows)
		}
		shot.take(ctx, "bench")
	})
}

// TestInspectorWithKeys: once keys exist, the page says a key is needed, takes one typed in,
// keeps it in sessionStorage, sends it as a header (never in a URL), and a deep link opens the
// agent's context.
func TestInspectorWithKeys(t *testing.T) {
	ctx := browser(t, "status of 401")
	dir := t.TempDir()
	key := createKey(t, []string{"--data", dir}, "acme")
	m := testMain(t, dir)
	defer m.Close()
	base := "http://" + m.Addr()
	c := keyed{t, base, key}
	id := c.must("POST", "/v1/agents", `{"name": "keyed-agent", "context_window": 4000}`, 201)["id"].(string)

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Navigate(base+"/ui/#/agents"), chromedp.WaitVisible(chromedp.CSS(`#error`))); err != nil {
		t.Fatal(err)
	}
	var msg string
	eval(t, ctx, `document.getElementById('error').textContent`, &msg)
	if !strings.Contains(msg, "missing API key") || !strings.Contains(msg, "enter an API key") {
		t.Fatalf("without a key the page says %q", msg)
	}
	if err := chromedp.Do(wctx, chromedp.SetValue(chromedp.CSS(`#apikey`), key), chromedp.Click(chromedp.CSS(`#keyform button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `!!document.querySelector('tr[data-agent=`+jsString(id)+`] [data-stat=messages]')`)

	open(t, ctx, base, "#/agents/"+id)
	var seen struct {
		Stored string   `json:"stored"`
		Href   string   `json:"href"`
		URLs   []string `json:"urls"`
		Window string   `json:"window"`
	}
	eval(t, ctx, `({stored: sessionStorage.getItem('memsvc.apikey'), href: location.href,
		urls: performance.getEntriesByType('resource').map(e => e.name),
		window: document.querySelector('[data-tokens=window]')?.textContent})`, &seen)
	if seen.Stored != key || seen.Window != "4000" {
		t.Fatalf("after the key was entered: stored %v, the deep link shows window %q", seen.Stored != "", seen.Window)
	}
	secret := key[strings.LastIndex(key, "_")+1:]
	for _, u := range append(seen.URLs, seen.Href) {
		if strings.Contains(u, secret) {
			t.Fatalf("the key is in a URL: %s", u)
		}
	}
	if len(seen.URLs) < 3 {
		t.Fatalf("the page made %d requests: %v", len(seen.URLs), seen.URLs)
	}
}
