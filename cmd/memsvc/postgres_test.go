package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

type historyItem struct {
	ID        string `json:"id"`
	Seq       int64  `json:"seq"`
	Content   string `json:"content"`
	InContext bool   `json:"in_context"`
}

func history(c client, agentID string) []historyItem {
	c.t.Helper()
	var all []historyItem
	cursor := ""
	for {
		var page struct {
			Items      []historyItem `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		path := "/v1/agents/" + agentID + "/messages?limit=1000"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if st := c.do("GET", path, nil, &page); st != 200 {
			c.t.Fatalf("history: %d", st)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// TestReplicasShareOneDatabase runs two memsvc processes on one PostgreSQL schema: appends through
// both keep seq strictly increasing, lose nothing, keep each client's order and evict once per
// overflow; a passage written through one is found through the other; a replica killed with
// SIGKILL mid-stream loses no acknowledged message.
func TestReplicasShareOneDatabase(t *testing.T) {
	dbURL := pgdbtest.Schema(t)
	bin := buildBinary(t)
	cmdA, a := startProcess(t, bin, "--store", dbURL)
	_, b := startProcess(t, bin, "--store", dbURL)
	replicas := []client{a, b}
	id := createAgent(a, 1200)

	const clients, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	evictions := 0
	var jobs []string
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var ans appendAnswer
				r := replicas[(c+i)%2]
				st := r.do("POST", "/v1/agents/"+id+"/messages", map[string]any{"messages": []map[string]any{{
					"role": "user", "content": fmt.Sprintf("client %d message %d about the harbour and its boats", c, i)}}}, &ans)
				if st != 200 {
					t.Errorf("append: %d", st)
					return
				}
				for _, e := range ans.Events {
					mu.Lock()
					switch e.Type {
					case "evicted":
						evictions++
					case "compaction_queued":
						jobs = append(jobs, e.JobID)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	msgs := history(b, id)
	seen := map[string]int{}
	last := map[int]int{}
	users := 0
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("seq %d at position %d", m.Seq, i)
		}
		var c, n int
		if _, err := fmt.Sscanf(m.Content, "client %d message %d", &c, &n); err != nil {
			continue // a memory-pressure warning
		}
		users++
		seen[m.Content]++
		if prev, ok := last[c]; ok && n <= prev {
			t.Fatalf("client %d: message %d stored after %d", c, n, prev)
		}
		last[c] = n
	}
	if users != clients*each || len(seen) != clients*each {
		t.Fatalf("%d messages stored (%d distinct), want %d", users, len(seen), clients*each)
	}
	if evictions == 0 || len(jobs) != evictions {
		t.Fatalf("%d evicted events, %d compaction_queued", evictions, len(jobs))
	}
	// Each eviction queued one compaction; both replicas' workers run them. Once all finished, the
	// summaries' sources are disjoint and cover the evicted messages, and each summary is one job's
	// (the jobs it coalesced are covered by it).
	made := map[string]bool{}
	for i, j := range waitJobs(a, jobs, 60*time.Second) {
		if j.Status != "succeeded" || j.SummaryID == "" {
			t.Fatalf("compaction %s: %+v", jobs[i], j)
		}
		if j.CoveredBy == "" {
			made[j.SummaryID] = true
		}
	}
	var sums struct {
		Items []struct {
			ID               string   `json:"id"`
			CompactionID     string   `json:"compaction_id"`
			SourceMessageIDs []string `json:"source_message_ids"`
		} `json:"items"`
	}
	evicted := map[string]bool{}
	for _, m := range msgs {
		if !m.InContext {
			evicted[m.ID] = true
		}
	}
	if st := b.do("GET", "/v1/agents/"+id+"/summaries", nil, &sums); st != 200 {
		t.Fatalf("summaries: %d", st)
	}
	covered := map[string]bool{}
	for _, s := range sums.Items {
		if !made[s.ID] || s.CompactionID == "" {
			t.Fatalf("summary %s (compaction %q) was made by no finished job", s.ID, s.CompactionID)
		}
		for _, mid := range s.SourceMessageIDs {
			if covered[mid] {
				t.Fatalf("message %s summarized twice", mid)
			}
			covered[mid] = true
		}
	}
	if len(covered) != len(evicted) || len(sums.Items) != len(made) {
		t.Fatalf("%d summaries covering %d messages; %d summaries made by %d jobs over %d evicted messages",
			len(sums.Items), len(covered), len(made), len(jobs), len(evicted))
	}
	t.Logf("%d evictions, %d compaction jobs, %d summaries", evictions, len(jobs), len(sums.Items))

	// A passage written through A is the top hit through B.
	var p struct{ ID string }
	if st := a.do("POST", "/v1/agents/"+id+"/archival", map[string]any{"text": "The lighthouse keeper's name is Morwenna Tregarthen."}, &p); st != 201 {
		t.Fatalf("insert passage: %d", st)
	}
	var res struct {
		Results []struct{ Passage struct{ ID string } } `json:"results"`
	}
	if st := b.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": "who keeps the lighthouse?"}, &res); st != 200 ||
		len(res.Results) == 0 || res.Results[0].Passage.ID != p.ID {
		t.Fatalf("search through B: %d %+v, want %s first", st, res.Results, p.ID)
	}

	// Kill A mid-stream; everything it acknowledged is there, in order, through B.
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			body, _ := json.Marshal(map[string]any{"messages": []map[string]any{{"role": "user", "content": fmt.Sprintf("stream %d", i)}}})
			resp, err := http.Post(a.base+"/v1/agents/"+id+"/messages", "application/json", bytes.NewReader(body))
			if err != nil {
				return
			}
			var ans appendAnswer
			err = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				return
			}
			acked = append(acked, ans.Messages[0].ID)
		}
	}()
	time.Sleep(time.Second)
	if err := cmdA.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	cmdA.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing acknowledged before the kill")
	}
	pos := map[string]int{}
	for i, m := range history(b, id) {
		pos[m.ID] = i
	}
	prev := -1
	for _, mid := range acked {
		p, ok := pos[mid]
		if !ok || p <= prev {
			t.Fatalf("acknowledged message %s missing or out of order after kill -9 (%d acknowledged)", mid, len(acked))
		}
		prev = p
	}
	t.Logf("%d acknowledged before kill -9, all present", len(acked))
}

// proxy forwards TCP connections to a target until it is cut, which drops every connection and
// refuses new ones, as a database going away does.
type proxy struct {
	target string
	mu     sync.Mutex
	ln     net.Listener
	addr   string
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestPostgresGoingAway cuts the database connection under a running memsvc: requests answer 503
// unavailable within the request timeout, and when the database returns the service recovers
// without a restart, with nothing acknowledged lost.
func TestPostgresGoingAway(t *testing.T) {
	dbURL := pgdbtest.Schema(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()

	m := NewMain(testWriter{t})
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--store", u.String()}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	id := createAgent(c, 4000)
	post := func(i int) int {
		return c.do("POST", "/v1/agents/"+id+"/messages", map[string]any{"messages": []map[string]any{{"role": "user", "content": fmt.Sprintf("before %d", i)}}}, nil)
	}
	for i := range 5 {
		if st := post(i); st != 200 {
			t.Fatalf("append before outage: %d", st)
		}
	}

	px.cut()
	for _, path := range []string{"/v1/agents/" + id, "/readyz"} {
		start := time.Now()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		st := c.do("GET", path, nil, &e)
		if st != 503 || (path != "/readyz" && e.Error.Code != "unavailable") {
			t.Fatalf("GET %s during outage: %d %q, want 503 unavailable", path, st, e.Error.Code)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("GET %s took %v during the outage", path, d)
		}
	}
	if st := post(99); st != 503 {
		t.Fatalf("append during outage: %d, want 503", st)
	}

	px.restore(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st := post(5); st == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no recovery 30s after the database returned: last status %d", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	msgs := history(c, id)
	if len(msgs) != 6 || msgs[5].Content != "before 5" {
		t.Fatalf("after recovery: %d messages, last %+v", len(msgs), msgs[len(msgs)-1])
	}
}

// testWriter sends a logger's lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
