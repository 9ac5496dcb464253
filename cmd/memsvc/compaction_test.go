package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memsvc/memsvc/pgdb/pgdbtest"
)

// shortName names a test's PostgreSQL schema briefly: River's notification channels are named
// after the schema, and PostgreSQL cuts channel names at 63 bytes.
type shortName struct{ testing.TB }

func (shortName) Name() string { return "kill" }

// TestKillNineMidCompaction runs the real binary with a test hook that SIGKILLs it inside its
// first compaction job: before the summary is committed, or just after. A restart finishes the
// job (before: its lease expires and the compaction is handed out again; after: the summary
// waits in the outbox), and the compaction has exactly one summary, in archival once.
func TestKillNineMidCompaction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	embedded := func(t *testing.T) []string { return []string{"--data", t.TempDir()} }
	postgres := func(t *testing.T) []string { return []string{"--store", pgdbtest.Schema(shortName{t})} }
	for _, tc := range []struct {
		name, kill string
		store      func(t *testing.T) []string
	}{
		{"embedded/before-commit", "before-commit", embedded},
		{"embedded/after-commit", "after-commit", embedded},
		{"postgres/before-commit", "before-commit", postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.store(t), "--compaction-lease", "1s", "--compaction-poll", "50ms")
			cmd, c := startProcessEnv(t, bin, []string{"MEMSVC_TEST_COMPACTION_KILL=" + tc.kill}, args...)
			id := createAgent(c, 1200)
			job := ""
			for i := 0; job == ""; i++ {
				var a appendAnswer
				if st := c.do("POST", "/v1/agents/"+id+"/messages", map[string]any{"messages": []map[string]any{{
					"role": "user", "content": fmt.Sprintf("Note %d: the parcel for order %d goes to dock %d.", i, 1000+i, i%7),
				}}}, &a); st != 200 {
					t.Fatalf("append %d: %d", i, st)
				}
				for _, e := range a.Events {
					if e.Type == "compaction_queued" {
						job = e.JobID
					}
				}
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Fatal("the compaction job did not kill the process")
			}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the process ended with %v, not SIGKILL", cmd.ProcessState)
			}

			_, c2 := startProcess(t, bin, args...)
			j := waitJobs(c2, []string{job}, 30*time.Second)[0]
			wantAttempts := 2 // the killed attempt, and the restart's
			if tc.kill == "after-commit" {
				wantAttempts = 1 // committed before the kill
			}
			if j.Status != "succeeded" || j.SummaryID == "" || j.Attempts != wantAttempts || j.TokensIn == 0 {
				t.Fatalf("job after the restart: %+v, want succeeded after %d attempts", j, wantAttempts)
			}
			var sums struct {
				Items []struct {
					ID           string `json:"id"`
					CompactionID string `json:"compaction_id"`
					PassageID    string `json:"passage_id"`
				} `json:"items"`
			}
			var passage string
			for deadline := time.Now().Add(10 * time.Second); passage == ""; time.Sleep(20 * time.Millisecond) {
				if st := c2.do("GET", "/v1/agents/"+id+"/summaries", nil, &sums); st != 200 {
					t.Fatalf("summaries: %d", st)
				}
				n := 0
				for _, s := range sums.Items {
					if s.CompactionID == job {
						n++
						if s.ID != j.SummaryID {
							t.Fatalf("summary %s of the job, which reports %s", s.ID, j.SummaryID)
						}
						passage = s.PassageID
					}
				}
				if n != 1 {
					t.Fatalf("%d summaries of compaction %s, want 1: %+v", n, job, sums.Items)
				}
				if time.Now().After(deadline) {
					t.Fatal("the summary never reached archival")
				}
			}
			var arch struct {
				Results []struct {
					Passage struct {
						ID       string         `json:"id"`
						Metadata map[string]any `json:"metadata"`
					} `json:"passage"`
				} `json:"results"`
			}
			if st := c2.do("POST", "/v1/agents/"+id+"/archival/search", map[string]any{"query": "parcel order dock", "k": 100,
				"tags": []string{"summary"}}, &arch); st != 200 {
				t.Fatalf("archival search: %d", st)
			}
			n := 0
			for _, r := range arch.Results {
				if r.Passage.Metadata["compaction_id"] == job {
					n++
					if r.Passage.ID != passage {
						t.Fatalf("archival passage %s, the summary says %s", r.Passage.ID, passage)
					}
				}
			}
			if n != 1 {
				t.Fatalf("%d archival passages of compaction %s, want 1", n, job)
			}
			if !strings.HasPrefix(job, "cmp_") {
				t.Fatalf("job id %q", job)
			}
		})
	}
}
