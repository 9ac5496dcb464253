package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// The consistency checker, in the spirit of Jepsen's register tests: clients drive two memsvc
// processes on one PostgreSQL schema over HTTP with keyed inserts, supersedes, invalidations,
// restores, deletes and appends, logging every operation the server acknowledged; then the
// invariants are checked on what the store holds:
//
//   - no acknowledged write is lost: every acknowledged insert not deleted by an acknowledged
//     delete exists, and every acknowledged message is in the history;
//   - every key chain is one a serial order explains: resolved (archival.ResolveKey changes
//     nothing), at most one valid value, no passage superseded by one that does not exist;
//   - every history is complete: it begins with the passage's creation and ends in its status;
//   - seq is strictly increasing per agent, with no gap.
//
// MEMSVC_CHECKER_DURATION sets how long the clients run (default 4s). The kill9 run kills one
// replica with SIGKILL halfway; its clients go on through the other. The pgrestart run restarts
// PostgreSQL halfway with the command in MEMSVC_CHECKER_RESTART (say "pg_ctlcluster 15 main
// restart"); without it that run skips, since a restart disturbs every other test using the
// server at the time.
func TestConsistencyChecker(t *testing.T) {
	dur := 4 * time.Second
	if v := os.Getenv("MEMSVC_CHECKER_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	bin := buildBinary(t)
	restart := os.Getenv("MEMSVC_CHECKER_RESTART")
	for _, name := range []string{"plain", "kill9", "pgrestart"} {
		t.Run(name, func(t *testing.T) {
			if name == "pgrestart" && restart == "" {
				t.Skip("MEMSVC_CHECKER_RESTART names no command that restarts PostgreSQL")
			}
			dbURL := pgdbtest.Schema(t)
			cmdA, a := startProcess(t, bin, "--store", dbURL)
			_, b := startProcess(t, bin, "--store", dbURL)
			h := runChecker(t, []string{a.base, b.base}, dur, func() {
				switch name {
				case "kill9":
					cmdA.Process.Signal(syscall.SIGKILL)
					cmdA.Wait()
				case "pgrestart":
					if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
						t.Errorf("restart PostgreSQL: %v\n%s", err, out)
					}
				}
			})
			if name == "pgrestart" {
				waitReady(t, b.base)
			}
			h.check(t, b.base)
		})
	}
}

// waitReady waits until a replica answers /readyz (its stores reachable again), at most a minute.
func waitReady(t *testing.T, base string) {
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if st, err := call(base, "GET", "/readyz", nil, nil); err == nil && st == 200 {
			return
		}
	}
	t.Fatal("the replica did not become ready after the restart")
}

// ckOp is one acknowledged operation of the checker's log.
type ckOp struct {
	kind, agent, id, key, content string
}

type ckHistory struct {
	mu      sync.Mutex
	agents  []string
	ops     []ckOp
	created map[string]bool // acknowledged inserts, by agent/id
	deleted map[string]bool // acknowledged deletes
	tried   map[string]bool // deletes tried, acknowledged or not
	msgs    map[string]bool // acknowledged appends, by agent/content
	ids     map[string][]string
}

func (h *ckHistory) ack(op ckOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
	switch op.kind {
	case "insert":
		h.created[op.agent+"/"+op.id] = true
		h.ids[op.agent] = append(h.ids[op.agent], op.id)
	case "delete":
		h.deleted[op.agent+"/"+op.id] = true
	case "append":
		h.msgs[op.agent+"/"+op.content] = true
	}
}

func (h *ckHistory) pick(rng *rand.Rand, agent string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.ids[agent]
	if len(ids) == 0 {
		return ""
	}
	return ids[rng.IntN(len(ids))]
}

// call sends one request; err is a transport failure (the operation's outcome is unknown).
func call(base, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

func runChecker(t *testing.T, bases []string, dur time.Duration, midway func()) *ckHistory {
	h := &ckHistory{created: map[string]bool{}, deleted: map[string]bool{}, tried: map[string]bool{},
		msgs: map[string]bool{}, ids: map[string][]string{}}
	for range 2 {
		var agent struct{ ID string }
		if st, err := call(bases[1], "POST", "/v1/agents", map[string]any{"name": "checker", "context_window": 2000,
			"tools_in_context": false}, &agent); err != nil || st != 201 {
			t.Fatalf("create agent: %d %v", st, err)
		}
		h.agents = append(h.agents, agent.ID)
	}
	deadline := time.Now().Add(dur)
	half := time.AfterFunc(dur/2, midway)
	defer half.Stop()
	var wg sync.WaitGroup
	for c := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for i := 0; time.Now().Before(deadline); i++ {
				base := bases[(c+i)%len(bases)]
				agent := h.agents[rng.IntN(len(h.agents))]
				arch := "/v1/agents/" + agent + "/archival"
				switch r := rng.IntN(20); {
				case r < 7: // a keyed value, its valid_from spread so that arrivals come out of order
					key := fmt.Sprint("k", rng.IntN(3))
					vf := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(10000)) * time.Minute)
					var p struct{ ID string }
					if st, err := call(base, "POST", arch, map[string]any{"text": fmt.Sprintf("value %d of client %d for %s", i, c, key),
						"key": key, "valid_from": vf}, &p); err == nil && st == 201 {
						h.ack(ckOp{kind: "insert", agent: agent, id: p.ID, key: key})
					}
				case r < 9: // an unkeyed passage that supersedes another
					old := h.pick(rng, agent)
					if old == "" {
						continue
					}
					var p struct{ ID string }
					if st, err := call(base, "POST", arch, map[string]any{"text": fmt.Sprintf("correction %d of client %d", i, c),
						"supersedes": old}, &p); err == nil && st == 201 {
						h.ack(ckOp{kind: "insert", agent: agent, id: p.ID})
					}
				case r < 12:
					if id := h.pick(rng, agent); id != "" {
						if st, err := call(base, "POST", arch+"/"+id+"/invalidate", map[string]any{"reason": "checker"}, nil); err == nil && st == 200 {
							h.ack(ckOp{kind: "invalidate", agent: agent, id: id})
						}
					}
				case r < 14:
					if id := h.pick(rng, agent); id != "" {
						if st, err := call(base, "POST", arch+"/"+id+"/restore", nil, nil); err == nil && st == 200 {
							h.ack(ckOp{kind: "restore", agent: agent, id: id})
						}
					}
				case r < 15:
					if id := h.pick(rng, agent); id != "" {
						h.mu.Lock()
						h.tried[agent+"/"+id] = true
						h.mu.Unlock()
						if st, err := call(base, "DELETE", arch+"/"+id, nil, nil); err == nil && st == 204 {
							h.ack(ckOp{kind: "delete", agent: agent, id: id})
						}
					}
				default:
					content := fmt.Sprintf("client %d says %d", c, i)
					if st, err := call(base, "POST", "/v1/agents/"+agent+"/messages", map[string]any{
						"messages": []map[string]any{{"role": "user", "content": content}}}, nil); err == nil && st == 200 {
						h.ack(ckOp{kind: "append", agent: agent, content: content})
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d acknowledged operations", len(h.ops))
	return h
}

// check reads each agent whole (GET …/export: every passage with its history, including those
// whose insert was never acknowledged because a replica died first) and checks the invariants.
func (h *ckHistory) check(t *testing.T, base string) {
	for _, agent := range h.agents {
		var doc struct {
			Passages []struct {
				archival.Passage
				History []archival.Event `json:"history"`
			} `json:"passages"`
		}
		if st, err := call(base, "GET", "/v1/agents/"+agent+"/export", nil, &doc); err != nil || st != 200 {
			t.Fatalf("export %s: %d %v", agent, st, err)
		}
		exists := map[string]archival.Passage{}
		chains := map[string][]archival.Passage{}
		for _, ep := range doc.Passages {
			exists[ep.ID] = ep.Passage
			if ep.Key != "" {
				chains[ep.Key] = append(chains[ep.Key], ep.Passage)
			}
		}
		for _, ep := range doc.Passages {
			p := ep.Passage
			if n := len(ep.History); n == 0 || ep.History[0].Action != archival.ActionCreated || ep.History[n-1].ToStatus != p.Status {
				t.Errorf("passage %s/%s (%s): incomplete history %+v", agent, p.ID, p.Status, ep.History)
			}
			if _, ok := exists[p.SupersededBy]; p.Status == archival.StatusSuperseded && p.SupersededBy != "" && !ok {
				t.Errorf("agent %s: %s superseded by %s, which does not exist", agent, p.ID, p.SupersededBy)
			}
		}
		for _, id := range h.ids[agent] {
			k := agent + "/" + id
			_, ok := exists[id]
			switch {
			case !ok && !h.deleted[k] && !h.tried[k]:
				t.Errorf("acknowledged passage %s is lost", k)
			case ok && h.deleted[k]:
				t.Errorf("passage %s exists after an acknowledged delete", k)
			}
		}
		for key, chain := range chains {
			if changed := archival.ResolveKey(chain); len(changed) > 0 {
				t.Errorf("agent %s key %s: a chain no serial order leaves: %+v", agent, key, changed)
			}
			valid := 0
			for _, p := range chain {
				if p.Status == archival.StatusValid {
					valid++
				}
			}
			if valid > 1 {
				t.Errorf("agent %s key %s: %d valid values", agent, key, valid)
			}
		}
		var msgs []struct {
			Seq     int64  `json:"seq"`
			Content string `json:"content"`
		}
		for cursor := ""; ; {
			var page struct {
				Items []struct {
					Seq     int64  `json:"seq"`
					Content string `json:"content"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if st, err := call(base, "GET", "/v1/agents/"+agent+"/messages?limit=1000&cursor="+cursor, nil, &page); err != nil || st != 200 {
				t.Fatalf("messages: %d %v", st, err)
			}
			for _, m := range page.Items {
				msgs = append(msgs, struct {
					Seq     int64  `json:"seq"`
					Content string `json:"content"`
				}{m.Seq, m.Content})
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		stored := map[string]bool{}
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("agent %s: seq %d at position %d", agent, m.Seq, i)
			}
			stored[m.Content] = true
		}
		for k := range h.msgs {
			if len(k) > len(agent) && k[:len(agent)] == agent && !stored[k[len(agent)+1:]] {
				t.Errorf("acknowledged message %s is lost", k)
			}
		}
		t.Logf("agent %s: %d passages (%d acknowledged inserts), %d keys, %d messages checked", agent, len(exists), len(h.ids[agent]), len(chains), len(msgs))
	}
}
