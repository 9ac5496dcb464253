package pager

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/memsvc/memsvc/rank"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// RecallQuery searches an agent's message history.
type RecallQuery struct {
	Query string     `json:"query"`
	K     int        `json:"k"`
	Roles []string   `json:"roles,omitempty"`
	From  *time.Time `json:"from,omitempty"`
	To    *time.Time `json:"to,omitempty"`
}

// RecallHit is one recall search result.
type RecallHit struct {
	Message state.Message `json:"message"`
	Score   float64       `json:"score"`
	// Conflicts are the ids of other hits of the same search that state the opposite of this one.
	Conflicts []string `json:"conflicts,omitempty"`
}

// PendingVectors returns how many of an agent's messages recall search finds by their words only:
// appends commit before the background embedder makes their vectors.
func (s *Service) PendingVectors(ctx context.Context, agentID string) (int, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return 0, agentErr(agentID, err)
	}
	return s.cfg.Store.PendingVectors(ctx, agentID)
}

// SearchRecall runs a hybrid search over an agent's messages, in context and evicted. Lexical
// matches are found at once; dense matches once the background embedder reached the message.
func (s *Service) SearchRecall(ctx context.Context, agentID string, q RecallQuery) ([]RecallHit, error) {
	if q.K == 0 {
		q.K = 10
	}
	switch {
	case strings.TrimSpace(q.Query) == "":
		return nil, errorf(ErrInvalidArgument, "query is empty")
	case len(q.Query) > MaxQueryBytes:
		return nil, errorf(ErrTooLarge, "query is longer than %d bytes", MaxQueryBytes)
	case q.K < 1 || q.K > MaxK:
		return nil, errorf(ErrInvalidArgument, "k must be in [1, %d], got %d", MaxK, q.K)
	case q.From != nil && q.To != nil && q.To.Before(*q.From):
		return nil, errorf(ErrInvalidArgument, "to is before from")
	}
	for i, r := range q.Roles {
		if !roles[r] {
			return nil, errorf(ErrInvalidArgument, "roles[%d] must be user, assistant, system or tool, got %q", i, r)
		}
	}
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return nil, agentErr(agentID, err)
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, []string{q.Query})
	if err != nil {
		return nil, fmt.Errorf("pager: embed query: %w", err)
	}
	hits, err := s.cfg.Store.SearchMessages(ctx, state.RecallQuery{
		AgentID: agentID, Text: q.Query, Vector: vecs[0], K: q.K, Roles: q.Roles, From: q.From, To: q.To,
	})
	if err != nil {
		return nil, err
	}
	fused := make([]RecallHit, len(hits))
	for i, h := range hits {
		fused[i] = RecallHit{Message: h.Message, Score: rank.Default.Score(h.DenseRank, h.LexicalRank)}
	}
	sort.SliceStable(fused, func(i, j int) bool {
		if fused[i].Score != fused[j].Score {
			return fused[i].Score > fused[j].Score
		}
		return fused[i].Message.Seq > fused[j].Message.Seq
	})
	// The scorer's evidence that two messages compete (a near-duplicate that answers the query
	// with a changed value: the newer moves up just above the older) and that two contradict
	// each other (both shown, each naming the other), and how well each message says what the
	// query asks of whom: the subject and predicate terms, the predicate reading the message it
	// answers too (messageContext). Messages carry no validity interval and no key.
	cands := make([]validity.Candidate, len(fused))
	for i, h := range fused {
		cands[i] = validity.Candidate{Relevance: h.Score, Text: h.Message.Content, Status: validity.Valid, ValidFrom: h.Message.CreatedAt,
			Written: h.Message.Seq}
	}
	if err := s.answeredMessages(ctx, agentID, fused, cands); err != nil {
		return nil, err
	}
	cfg := s.cfg.Scoring
	cfg.Weights = validity.Weights{Relevance: 1, Recency: 1, Validity: 1,
		Subject: s.cfg.Scoring.Weights.Subject, Predicate: s.cfg.Scoring.Weights.Predicate}
	out := make([]RecallHit, 0, min(q.K, len(fused)))
	var conflicts [][]int
	shown := map[int]bool{}
	for _, r := range validity.Rank(validity.Query{Text: q.Query, Now: s.now()}, cands, cfg) {
		if len(out) == q.K {
			break
		}
		h := fused[r.Index]
		h.Score = r.Score
		out = append(out, h)
		conflicts = append(conflicts, r.Conflicts)
		shown[r.Index] = true
	}
	for i, ids := range conflictIDs(conflicts, shown, func(j int) string { return fused[j].Message.ID }) {
		out[i].Conflicts = ids
	}
	return out, nil
}

// answeredMessages sets each candidate's Context to what its message answers (messageContext),
// reading the messages before the hits in one query.
func (s *Service) answeredMessages(ctx context.Context, agentID string, hits []RecallHit, cands []validity.Candidate) error {
	var seqs []int64
	for _, h := range hits {
		if h.Message.Seq > 1 && mayAnswer(h.Message) {
			seqs = append(seqs, h.Message.Seq-1)
		}
	}
	before, err := s.cfg.Store.MessagesAt(ctx, agentID, seqs)
	if err != nil {
		return fmt.Errorf("pager: the messages before the hits: %w", err)
	}
	bySeq := make(map[int64]*state.Message, len(before))
	for i := range before {
		bySeq[before[i].Seq] = &before[i]
	}
	for i, h := range hits {
		cands[i].Context = messageContext(h.Message, bySeq[h.Message.Seq-1])
	}
	return nil
}
