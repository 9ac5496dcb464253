package pager

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
)

// Limits on archival requests.
const (
	MaxPassageBytes = 64 << 10
	MaxK            = 100
	MaxTags         = 32
	MaxQueryBytes   = 8 << 10
)

// PassageInput is a passage a client or the agent inserts.
type PassageInput struct {
	Text       string          `json:"text"`
	ValidFrom  *time.Time      `json:"valid_from,omitempty"`
	Key        string          `json:"key,omitempty"`
	Tags       []string        `json:"tags,omitempty"`
	Source     archival.Source `json:"source,omitempty"`
	Metadata   map[string]any  `json:"metadata,omitempty"`
	Supersedes string          `json:"supersedes,omitempty"`
}

// Weights weigh the terms of a hit's score; nil fields take defaults.
type Weights struct {
	Relevance *float64 `json:"relevance,omitempty"`
	Recency   *float64 `json:"recency,omitempty"`
	Validity  *float64 `json:"validity,omitempty"`
}

// ArchivalQuery searches an agent's archival memory.
type ArchivalQuery struct {
	Query          string     `json:"query"`
	K              int        `json:"k"`
	AsOf           *time.Time `json:"as_of,omitempty"`
	IncludeInvalid bool       `json:"include_invalid"`
	Tags           []string   `json:"tags,omitempty"`
	Weights        *Weights   `json:"weights,omitempty"`
}

// Scores is a hit's score breakdown.
type Scores struct {
	Relevance float64 `json:"relevance"`
	Recency   float64 `json:"recency"`
	Validity  float64 `json:"validity"`
}

// ArchivalHit is one archival search result.
type ArchivalHit struct {
	Passage archival.Passage `json:"passage"`
	Score   float64          `json:"score"`
	Scores  Scores           `json:"scores"`
}

func validateTags(tags []string) error {
	if len(tags) > MaxTags {
		return errorf(ErrInvalidArgument, "at most %d tags, got %d", MaxTags, len(tags))
	}
	for i, t := range tags {
		if t == "" || len(t) > 128 {
			return errorf(ErrInvalidArgument, "tags[%d] must be 1 to 128 bytes", i)
		}
	}
	return nil
}

// InsertPassage embeds and stores a passage in an agent's archival memory. With Supersedes, the
// named passage is marked superseded by the new one.
func (s *Service) InsertPassage(ctx context.Context, agentID string, in PassageInput) (archival.Passage, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return archival.Passage{}, errorf(ErrInvalidArgument, "text is empty")
	case len(text) > MaxPassageBytes:
		return archival.Passage{}, errorf(ErrTooLarge, "text is longer than %d bytes", MaxPassageBytes)
	case !utf8.ValidString(text):
		return archival.Passage{}, errorf(ErrInvalidArgument, "text is not valid UTF-8")
	case len(in.Key) > 256:
		return archival.Passage{}, errorf(ErrInvalidArgument, "key is longer than 256 bytes")
	}
	if in.Source == "" {
		in.Source = archival.SourceUser
	}
	if !in.Source.Valid() {
		return archival.Passage{}, errorf(ErrInvalidArgument, "source must be user, agent, tool, compaction or import, got %q", in.Source)
	}
	if err := validateTags(in.Tags); err != nil {
		return archival.Passage{}, err
	}
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return archival.Passage{}, agentErr(agentID, err)
	}
	now := s.now()
	p := archival.Passage{
		ID: newPassageID(), AgentID: agentID, Text: text, CreatedAt: now, ValidFrom: now,
		Status: archival.StatusValid, Key: in.Key, Source: in.Source, Tags: in.Tags, Metadata: in.Metadata,
		Supersedes: in.Supersedes,
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if in.ValidFrom != nil {
		p.ValidFrom = in.ValidFrom.UTC()
	}
	batch := []archival.Passage{p}
	if in.Supersedes != "" {
		old, err := s.cfg.Archival.Get(ctx, agentID, in.Supersedes)
		if errors.Is(err, archival.ErrNotFound) {
			return archival.Passage{}, errorf(ErrNotFound, "supersedes: passage %s does not exist", in.Supersedes)
		} else if err != nil {
			return archival.Passage{}, err
		}
		vf := p.ValidFrom
		old.Status, old.SupersededBy, old.ValidTo = archival.StatusSuperseded, p.ID, &vf
		batch = append(batch, old)
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, []string{text})
	if err != nil {
		return archival.Passage{}, fmt.Errorf("pager: embed passage: %w", err)
	}
	batch[0].Vector = vecs[0]
	if len(batch) > 1 && len(batch[1].Vector) == 0 {
		// Backends may not return vectors from Get; re-embed so the upsert keeps one.
		if v, err := s.cfg.Embedder.Embed(ctx, []string{batch[1].Text}); err == nil {
			batch[1].Vector = v[0]
		} else {
			return archival.Passage{}, fmt.Errorf("pager: embed passage: %w", err)
		}
	}
	if err := s.cfg.Archival.Upsert(ctx, batch); err != nil {
		return archival.Passage{}, err
	}
	return batch[0], nil
}

func newPassageID() string { return state.NewID("psg") }

// GetPassage returns one passage of an agent.
func (s *Service) GetPassage(ctx context.Context, agentID, id string) (archival.Passage, error) {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return archival.Passage{}, agentErr(agentID, err)
	}
	p, err := s.cfg.Archival.Get(ctx, agentID, id)
	return p, passageErr(id, err)
}

// DeletePassage removes one passage of an agent.
func (s *Service) DeletePassage(ctx context.Context, agentID, id string) error {
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return agentErr(agentID, err)
	}
	return passageErr(id, s.cfg.Archival.Delete(ctx, agentID, id))
}

func passageErr(id string, err error) error {
	if errors.Is(err, archival.ErrNotFound) {
		return errorf(ErrNotFound, "passage %s does not exist", id)
	}
	return err
}

// SearchArchival runs a hybrid search over an agent's archival memory, best first.
func (s *Service) SearchArchival(ctx context.Context, agentID string, q ArchivalQuery) ([]ArchivalHit, error) {
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
	}
	if err := validateTags(q.Tags); err != nil {
		return nil, err
	}
	if err := q.Weights.validate(); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Store.GetAgent(ctx, agentID); err != nil {
		return nil, agentErr(agentID, err)
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, []string{q.Query})
	if err != nil {
		return nil, fmt.Errorf("pager: embed query: %w", err)
	}
	hits, err := s.cfg.Archival.Search(ctx, archival.Query{
		AgentID: agentID, Text: q.Query, Vector: vecs[0], K: q.K, Tags: q.Tags, AsOf: q.AsOf, IncludeInvalid: q.IncludeInvalid,
	})
	if err != nil {
		return nil, err
	}
	out := make([]ArchivalHit, len(hits))
	for i, h := range hits {
		validity := 1.0
		if h.Passage.Status != archival.StatusValid && q.AsOf == nil {
			validity = 0
		}
		sc := Scores{Relevance: h.Relevance, Recency: 0, Validity: validity}
		out[i] = ArchivalHit{Passage: h.Passage, Scores: sc, Score: q.Weights.combine(sc)}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

func (w *Weights) validate() error {
	if w == nil {
		return nil
	}
	for name, v := range map[string]*float64{"relevance": w.Relevance, "recency": w.Recency, "validity": w.Validity} {
		if v != nil && (*v < 0 || *v > 100) {
			return errorf(ErrInvalidArgument, "weights.%s must be in [0, 100], got %v", name, *v)
		}
	}
	return nil
}

// combine scores a hit: relevance weighted, scaled by validity (an invalid passage sinks below
// every valid one). Recency scoring arrives with package validity.
func (w *Weights) combine(sc Scores) float64 {
	rel, val := 1.0, 1.0
	if w != nil && w.Relevance != nil {
		rel = *w.Relevance
	}
	if w != nil && w.Validity != nil {
		val = *w.Validity
	}
	return rel * sc.Relevance * (1 - val*(1-sc.Validity))
}
