package pager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/validity"
)

// Limits on archival requests.
const (
	MaxPassageBytes = 64 << 10
	MaxK            = 100
	MaxTags         = 32
	MaxQueryBytes   = 8 << 10
	MaxContextBytes = 16 << 10
)

// PassageInput is a passage a client or the agent inserts.
type PassageInput struct {
	Text string `json:"text"`
	// Context situates the text (the message it answers, the document it comes from); it is
	// stored beside the text, embedded and searched with it (archival.Passage.Context), and the
	// predicate term reads it (validity.Candidate.Context).
	Context    string          `json:"context,omitempty"`
	ValidFrom  *time.Time      `json:"valid_from,omitempty"`
	Key        string          `json:"key,omitempty"`
	Tags       []string        `json:"tags,omitempty"`
	Source     archival.Source `json:"source,omitempty"`
	Metadata   map[string]any  `json:"metadata,omitempty"`
	Supersedes string          `json:"supersedes,omitempty"`
}

// Weights weigh the terms of a hit's score; nil fields take defaults. 0 turns a term off.
type Weights struct {
	Relevance *float64 `json:"relevance,omitempty"`
	Recency   *float64 `json:"recency,omitempty"`
	Validity  *float64 `json:"validity,omitempty"`
	Subject   *float64 `json:"subject,omitempty"`
	Predicate *float64 `json:"predicate,omitempty"`
}

// Retrieval modes: which candidate lists relevance is fused from.
const (
	ModeHybrid  = "hybrid"  // dense and lexical, fused (the default)
	ModeLexical = "lexical" // BM25 only
	ModeDense   = "dense"   // the embedder only
)

// ArchivalQuery searches an agent's archival memory.
type ArchivalQuery struct {
	Query          string     `json:"query"`
	K              int        `json:"k"`
	AsOf           *time.Time `json:"as_of,omitempty"`
	IncludeInvalid bool       `json:"include_invalid"`
	Tags           []string   `json:"tags,omitempty"`
	Weights        *Weights   `json:"weights,omitempty"`
	// Mode selects the candidate lists: hybrid (default), lexical or dense.
	Mode string `json:"mode,omitempty"`
}

// Scores is a hit's score breakdown.
type Scores struct {
	Relevance float64 `json:"relevance"`
	Recency   float64 `json:"recency"`
	Validity  float64 `json:"validity"`
	Subject   float64 `json:"subject"`
	Predicate float64 `json:"predicate"`
}

// ArchivalHit is one archival search result.
type ArchivalHit struct {
	Passage archival.Passage `json:"passage"`
	Score   float64          `json:"score"`
	Scores  Scores           `json:"scores"`
	// Conflicts are the ids of other hits of the same search that state the opposite of this
	// one (one negates what the other asserts): an unresolved contradiction the agent should
	// see both sides of, not one settled by hiding the other.
	Conflicts []string `json:"conflicts,omitempty"`
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

// MaxBatchPassages is the most passages one InsertPassages call takes.
const MaxBatchPassages = 1000

// InsertPassage embeds and stores a passage in an agent's archival memory. With Supersedes, the
// named passage is marked superseded by the new one.
func (s *Service) InsertPassage(ctx context.Context, agentID string, in PassageInput) (archival.Passage, error) {
	out, err := s.insertPassages(ctx, agentID, []PassageInput{in}, false)
	if err != nil {
		return archival.Passage{}, err
	}
	return out[0], nil
}

// InsertPassages embeds and stores up to MaxBatchPassages passages in one atomic write: either
// all are stored or, on any error, none. Each passage is judged as InsertPassage judges it,
// against what was stored before the batch (the key rule also applies among the batch's own
// passages, in the store). Two passages that both name one passage in supersedes are refused.
func (s *Service) InsertPassages(ctx context.Context, agentID string, ins []PassageInput) ([]archival.Passage, error) {
	switch {
	case len(ins) == 0:
		return nil, errorf(ErrInvalidArgument, "passages is empty")
	case len(ins) > MaxBatchPassages:
		return nil, errorf(ErrTooLarge, "at most %d passages per batch, got %d", MaxBatchPassages, len(ins))
	}
	return s.insertPassages(ctx, agentID, ins, true)
}

// checkPassage validates one input and returns its trimmed text and source: the one asked for, or
// the caller's highest (see callerSource).
func checkPassage(ctx context.Context, in PassageInput) (string, archival.Source, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return "", "", errorf(ErrInvalidArgument, "text is empty")
	case len(text) > MaxPassageBytes:
		return "", "", errorf(ErrTooLarge, "text is longer than %d bytes", MaxPassageBytes)
	case checkText("text", text) != nil:
		return "", "", checkText("text", text)
	case checkText("key", in.Key) != nil:
		return "", "", checkText("key", in.Key)
	case len(in.Context) > MaxContextBytes:
		return "", "", errorf(ErrTooLarge, "context is longer than %d bytes", MaxContextBytes)
	case checkText("context", in.Context) != nil:
		return "", "", checkText("context", in.Context)
	case len(in.Key) > 256:
		return "", "", errorf(ErrInvalidArgument, "key is longer than 256 bytes")
	}
	if in.Source != "" && !in.Source.Valid() {
		return "", "", errorf(ErrInvalidArgument, "source must be user, agent, tool, compaction or import, got %q", in.Source)
	}
	src, err := callerSource(ctx, in.Source)
	if err != nil {
		return "", "", err
	}
	if err := validateTags(in.Tags); err != nil {
		return "", "", err
	}
	if err := checkMetadata(in.Metadata); err != nil {
		return "", "", err
	}
	return text, src, nil
}

// indexed prefixes a caller error with the batch index it concerns (when batched).
func indexed(err error, batched bool, i int) error {
	var e *Error
	if !batched || !errors.As(err, &e) {
		return err
	}
	return &Error{Kind: e.Kind, Msg: fmt.Sprintf("passages[%d]: %s", i, e.Msg)}
}

func (s *Service) insertPassages(ctx context.Context, agentID string, ins []PassageInput, batched bool) ([]archival.Passage, error) {
	now := s.now()
	news := make([]archival.Passage, len(ins))
	texts := make([]string, len(ins))
	for i, in := range ins {
		text, src, err := checkPassage(ctx, in)
		if err != nil {
			return nil, indexed(err, batched, i)
		}
		p := archival.Passage{
			ID: newPassageID(), AgentID: agentID, Text: text, Context: strings.TrimSpace(in.Context), CreatedAt: now, ValidFrom: now,
			Status: archival.StatusValid, Key: in.Key, Source: src, Tags: in.Tags, Metadata: in.Metadata,
			Supersedes: in.Supersedes, Cause: "inserted (source " + string(src) + ")",
		}
		if p.Tags == nil {
			p.Tags = []string{}
		}
		if in.ValidFrom != nil {
			p.ValidFrom = in.ValidFrom.UTC()
		}
		news[i], texts[i] = p, PassageEmbedText(in.Key, text, string(src), p.Context)
	}
	if _, err := s.agentFor(ctx, agentID, "archival_memory_insert"); err != nil {
		return nil, err
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("pager: embed passage: %w", err)
	}
	if len(vecs) != len(news) {
		return nil, fmt.Errorf("pager: embed passages: %d vectors for %d texts", len(vecs), len(news))
	}
	// Found before the write (searches and reads): the passages each new one may possibly
	// supersede, and those named in supersedes. The write then judges them as they are under the
	// agent's archival write lock, so a concurrent change of them is never undone.
	var cands [][]supersessionCandidate
	explicit := map[string]int{} // passage ID -> the batch index that supersedes it
	var ids []string
	seen := map[string]bool{}
	need := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	bySimilarity := make([]bool, len(news))
	for i := range news {
		news[i].Vector = vecs[i]
		if id := ins[i].Supersedes; id != "" {
			if j, dup := explicit[id]; dup {
				return nil, errorf(ErrInvalidArgument, "passages[%d] and passages[%d] both supersede %s", j, i, id)
			}
			explicit[id] = i
			continue
		}
		bySimilarity[i] = true
	}
	if cands, err = s.supersessionCandidates(ctx, agentID, news, bySimilarity); err != nil {
		return nil, err
	}
	for i := range news {
		if id := ins[i].Supersedes; id != "" {
			need(id)
		}
		for _, c := range cands[i] {
			need(c.id)
		}
	}
	err = s.UpdateArchival(ctx, agentID, ids, func(cur []*archival.Passage) ([]archival.Passage, error) {
		byID := make(map[string]*archival.Passage, len(ids))
		for k, id := range ids {
			byID[id] = cur[k]
		}
		batch := append([]archival.Passage(nil), news...)
		// The changes to stored passages, by ID, merged across the batch.
		changed := map[string]archival.Passage{}
		var order []string
		for i := range batch {
			more, err := relatedChanges(&batch[i], byID, cands[i])
			if err != nil {
				return nil, indexed(err, batched, i)
			}
			for _, o := range more {
				prev, seen := changed[o.ID]
				switch {
				case !seen:
					order = append(order, o.ID)
				case prev.Status != archival.StatusValid:
					continue // an explicit supersession wins over a possible one
				case o.Status == archival.StatusValid && prev.Confidence >= o.Confidence:
					continue // keep the likelier possible supersession
				}
				changed[o.ID] = o
			}
		}
		for _, id := range order {
			batch = append(batch, changed[id])
		}
		return batch, nil
	})
	if err != nil {
		return nil, err
	}
	// The key rule may have changed the new passages too (a late-arriving older value): read
	// them back, all at once.
	newIDs := make([]string, len(news))
	for i, p := range news {
		newIDs[i] = p.ID
	}
	read, err := archival.GetMany(ctx, s.cfg.Archival, agentID, newIDs)
	if err != nil {
		return nil, err
	}
	out := make([]archival.Passage, len(news))
	for i, p := range news {
		stored, ok := read[p.ID]
		if !ok {
			// Written, then removed with its agent by a DeleteAgent that committed meanwhile.
			return nil, errorf(ErrNotFound, "agent %s was deleted", agentID)
		}
		out[i] = stored
		flag := p
		flag.Status = stored.Status
		if err := s.flagKeyConflicts(ctx, flag); err != nil {
			// The passage is stored; only the review flag on the older value is missing.
			s.cfg.Logger.Warn("flag key conflicts for review", "agent", agentID, "passage", p.ID, "err", err)
		}
	}
	return out, nil
}

// relatedChanges returns the changes a new passage p makes to stored ones, judged on them as
// they are now (byID; nil for one that does not exist): the passage it supersedes explicitly, or
// those it possibly supersedes (cands). It may change p itself (a dropped supersedes, a possible
// supersession by a newer passage).
func relatedChanges(p *archival.Passage, byID map[string]*archival.Passage, cands []supersessionCandidate) ([]archival.Passage, error) {
	if p.Supersedes == "" {
		cur := make([]*archival.Passage, len(cands))
		for i, c := range cands {
			cur[i] = byID[c.id]
		}
		return markSupersessions(p, cands, cur), nil
	}
	if byID[p.Supersedes] == nil {
		return nil, errorf(ErrNotFound, "supersedes: passage %s does not exist", p.Supersedes)
	}
	old := *byID[p.Supersedes]
	if outranks(old, p.Source) {
		// Not on its own authority: the old passage stays valid, flagged for review.
		p.Supersedes = ""
		if old.Status != archival.StatusValid {
			return nil, nil
		}
		old.PossiblySupersededBy, old.Confidence = p.ID, reviewConfidence
		old.Cause = fmt.Sprintf("possibly superseded by %s, which claims to supersede it, but a %s passage cannot supersede a %s-asserted one on its own; review it",
			p.ID, p.Source, old.Source)
		return []archival.Passage{old}, nil
	}
	vf := p.ValidFrom
	old.Status, old.SupersededBy, old.ValidTo = archival.StatusSuperseded, p.ID, &vf
	old.Cause = "superseded explicitly by " + p.ID
	return []archival.Passage{old}, nil
}

// checkMetadata refuses passage metadata over MaxMetadataBytes once encoded.
func checkMetadata(m map[string]any) error {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return errorf(ErrInvalidArgument, "metadata does not encode as JSON")
	}
	if len(b) > MaxMetadataBytes {
		return errorf(ErrTooLarge, "metadata is larger than %d bytes", MaxMetadataBytes)
	}
	return nil
}

func newPassageID() string { return state.NewID("psg") }

// PassageEmbedText is the text whose embedding stands for a passage in dense retrieval: a
// compaction's summary as it is, any other passage as validity.DenseText makes it from its key
// and text; a passage's context follows it. Inserts, summaries paged out, imports and
// re-embedding (memsvc reembed) all embed this text, so that a store's vectors agree whichever
// wrote them.
func PassageEmbedText(key, text, source, context string) string {
	if source != string(archival.SourceCompaction) {
		text = validity.DenseText(key, text)
	}
	if context != "" {
		text += " " + context
	}
	return text
}

// GetPassage returns one passage of an agent.
func (s *Service) GetPassage(ctx context.Context, agentID, id string) (archival.Passage, error) {
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return archival.Passage{}, err
	}
	p, err := s.cfg.Archival.Get(ctx, agentID, id)
	return p, passageErr(id, err)
}

// DeletePassage removes one passage of an agent.
func (s *Service) DeletePassage(ctx context.Context, agentID, id string) error {
	if _, err := s.agentFor(ctx, agentID, ActionArchivalDelete); err != nil {
		return err
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
	switch q.Mode {
	case "":
		q.Mode = ModeHybrid
	case ModeHybrid, ModeLexical, ModeDense:
	default:
		return nil, errorf(ErrInvalidArgument, "mode must be hybrid, lexical or dense, got %q", q.Mode)
	}
	if _, err := s.agentFor(ctx, agentID, ""); err != nil {
		return nil, err
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, []string{validity.DenseText("", q.Query)})
	if err != nil {
		return nil, fmt.Errorf("pager: embed query: %w", err)
	}
	aq := archival.Query{AgentID: agentID, Text: q.Query, Vector: vecs[0], K: q.K, Tags: q.Tags, AsOf: q.AsOf, IncludeInvalid: q.IncludeInvalid}
	switch q.Mode {
	case ModeLexical:
		aq.Vector = nil
	case ModeDense:
		aq.Text = ""
	}
	// Score more candidates than asked for: validity and subject terms reorder them.
	aq.K = min(max(4*q.K, 40), 1000)
	hits, err := s.cfg.Archival.Search(ctx, aq)
	if err != nil {
		return nil, err
	}
	cands := make([]validity.Candidate, len(hits))
	for i, h := range hits {
		p := h.Passage
		cands[i] = validity.Candidate{Relevance: h.Relevance, Vector: p.Vector, Text: p.Text, Context: p.Context, Key: p.Key,
			Status: validity.Status(p.Status), ValidFrom: p.ValidFrom, ValidTo: p.ValidTo, Written: unixNano(p.CreatedAt)}
		if p.PossiblySupersededBy != "" {
			cands[i].Confidence = p.Confidence
		}
		// Worked out here rather than read from h.Dense: a candidate found by the lexical list
		// alone has no dense score, and askedSlot needs every candidate's.
		cands[i].QueryCosine = validity.Cosine(vecs[0], p.Vector) // 0 when either is missing
	}
	cfg := q.Weights.apply(s.cfg.Scoring)
	if cfg.Weights.Predicate > 0 {
		if err := s.slotTexts(ctx, agentID, cands); err != nil {
			return nil, err
		}
	}
	if cfg.Weights.Predicate > 0 && cfg.AttributeTemperature > 0 {
		if err := s.attributeCosines(ctx, vecs[0], cands); err != nil {
			return nil, err
		}
	}
	out := make([]ArchivalHit, 0, q.K)
	var conflicts [][]int
	shown := map[int]bool{}
	for _, r := range validity.Rank(validity.Query{Text: q.Query, Now: s.now(), AsOf: q.AsOf}, cands, cfg) {
		if len(out) == q.K {
			break
		}
		if r.Scores.Validity == 0 && !q.IncludeInvalid && cfg.Weights.Validity > 0 {
			continue // expired by its interval although its status still says valid
		}
		sc := Scores{Relevance: r.Scores.Relevance, Recency: r.Scores.Recency, Validity: r.Scores.Validity, Subject: r.Scores.Subject, Predicate: r.Scores.Predicate}
		out = append(out, ArchivalHit{Passage: hits[r.Index].Passage, Score: r.Score, Scores: sc})
		conflicts = append(conflicts, r.Conflicts)
		shown[r.Index] = true
	}
	for i, ids := range conflictIDs(conflicts, shown, func(j int) string { return hits[j].Passage.ID }) {
		out[i].Conflicts = ids
	}
	return out, nil
}

// slotTexts gives each keyed candidate the texts stored under its key, of every status
// (archival.KeyTexts): what its slot's earlier values said tells the predicate term what a key
// is about when the key does not say ("k17"). A store without archival.KeyTexter leaves them
// out.
func (s *Service) slotTexts(ctx context.Context, agentID string, cands []validity.Candidate) error {
	var keys []string // archival.KeyTexts drops the duplicates
	for _, c := range cands {
		if c.Key != "" {
			keys = append(keys, c.Key)
		}
	}
	texts, err := archival.KeyTexts(ctx, s.cfg.Archival, agentID, keys)
	if err != nil {
		return fmt.Errorf("pager: slot texts: %w", err)
	}
	for i := range cands {
		cands[i].SlotTexts = texts[cands[i].Key]
	}
	return nil
}

// unixNano is t in nanoseconds since the epoch, 0 for the zero time (unknown).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// conflictIDs turns the conflicts of each hit shown (validity.Result.Conflicts: indexes of
// candidates) into the ids of those among them that are shown too.
func conflictIDs(conflicts [][]int, shown map[int]bool, id func(int) string) [][]string {
	out := make([][]string, len(conflicts))
	for i, cs := range conflicts {
		for _, j := range cs {
			if shown[j] {
				out[i] = append(out[i], id(j))
			}
		}
	}
	return out
}

func (w *Weights) validate() error {
	if w == nil {
		return nil
	}
	for name, v := range map[string]*float64{"relevance": w.Relevance, "recency": w.Recency, "validity": w.Validity, "subject": w.Subject, "predicate": w.Predicate} {
		if v != nil && (*v < 0 || *v > 1 && name != "relevance" || *v > 10) {
			return errorf(ErrInvalidArgument, "weights.%s must be in [0, 1] (relevance, an exponent: [0, 10]), got %v", name, *v)
		}
	}
	return nil
}

// apply returns cfg with the weights a request set.
func (w *Weights) apply(cfg validity.Config) validity.Config {
	if w == nil {
		return cfg
	}
	for _, f := range []struct {
		v   *float64
		dst *float64
	}{{w.Relevance, &cfg.Weights.Relevance}, {w.Recency, &cfg.Weights.Recency}, {w.Validity, &cfg.Weights.Validity}, {w.Subject, &cfg.Weights.Subject}, {w.Predicate, &cfg.Weights.Predicate}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	return cfg
}
