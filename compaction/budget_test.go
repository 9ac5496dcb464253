package compaction

import (
	"testing"
	"time"

	"github.com/memsvc/memsvc/state"
)

func TestBudgetView(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	hour := now.Truncate(time.Hour)
	b := Budget{Tokens: 1000, Period: time.Hour}
	for _, tc := range []struct {
		name      string
		acc       state.CompactionAccount
		b         Budget
		used      int
		remaining int // -1: unlimited
		throttled bool
	}{
		{"never charged", state.CompactionAccount{AgentID: "a"}, b, 0, 1000, false},
		{"this period", state.CompactionAccount{AgentID: "a", PeriodStart: hour, PeriodTokens: 400, TokensTotal: 900}, b, 400, 600, false},
		{"an old period does not count", state.CompactionAccount{AgentID: "a", PeriodStart: hour.Add(-time.Hour), PeriodTokens: 5000}, b, 0, 1000, false},
		{"over budget", state.CompactionAccount{AgentID: "a", PeriodStart: hour, PeriodTokens: 1200}, b, 1200, 0, true},
		{"unlimited", state.CompactionAccount{AgentID: "a", PeriodStart: hour, PeriodTokens: 1200}, Budget{Period: time.Hour}, 1200, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := budgetView(tc.acc, tc.b, now, 2)
			if v.Used != tc.used || v.Throttled != tc.throttled || v.Queued != 2 || v.AgentID != "a" || !v.PeriodStart.Equal(hour) ||
				v.TokensPerPeriod != tc.b.Tokens || v.PeriodSeconds != 3600 || v.TokensTotal != tc.acc.TokensTotal {
				t.Fatalf("%+v", v)
			}
			switch {
			case tc.remaining < 0 && v.Remaining != nil:
				t.Fatalf("remaining %d, want null (unlimited)", *v.Remaining)
			case tc.remaining >= 0 && (v.Remaining == nil || *v.Remaining != tc.remaining):
				t.Fatalf("remaining %v, want %d", v.Remaining, tc.remaining)
			}
		})
	}
}
