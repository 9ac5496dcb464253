package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// StaleVariant is one way of feeding the stale-fact streams to memsvc.
type StaleVariant struct {
	Name     string
	Keyed    bool // updates carry their slot's key ("alice/city")
	Shuffled bool // arrival order is random; valid_from is still the event time
	MultiHop bool // the two-hop streams of GenerateMultiHop
	// KeyStyle is how a keyed variant's keys name the attribute: "" by its word ("alice/city"),
	// KeyOtherWords in other words than the questions use ("alice/residence"), KeyOpaque not at
	// all ("k17"), as an agent may choose them.
	KeyStyle string
}

// The key styles of StaleVariant.KeyStyle.
const (
	KeyOtherWords = "other-words"
	KeyOpaque     = "opaque"
)

// otherWords names each attribute in words its facts' questions do not use.
var otherWords = map[string]string{
	"city": "residence", "employer": "workplace", "food": "cuisine_pick", "car": "vehicle_model",
	"phone": "handset", "pet": "companion_animal", "sport": "athletic_pursuit", "language": "linguistic_studies",
}

// key is the key a keyed variant gives slot i of s.
func (v StaleVariant) key(s *Stream, i int) string {
	sl := s.Slots[i]
	switch v.KeyStyle {
	case KeyOtherWords:
		if w, ok := otherWords[sl.Attribute]; ok {
			return slug(sl.Subject) + "/" + w
		}
	case KeyOpaque:
		return fmt.Sprintf("k%d", i)
	}
	return sl.Key
}

// StaleVariants are the variants the stale suite runs, in report order. The multi-hop variants
// arrive shuffled.
var StaleVariants = []StaleVariant{
	{Name: "keyed-inorder", Keyed: true},
	{Name: "keyed-shuffled", Keyed: true, Shuffled: true},
	{Name: "keyed-otherwords-shuffled", Keyed: true, Shuffled: true, KeyStyle: KeyOtherWords},
	{Name: "keyed-opaque-shuffled", Keyed: true, Shuffled: true, KeyStyle: KeyOpaque},
	{Name: "unkeyed-inorder"},
	{Name: "unkeyed-shuffled", Shuffled: true},
	{Name: "multihop-keyed", Keyed: true, Shuffled: true, MultiHop: true},
	{Name: "multihop-unkeyed", Shuffled: true, MultiHop: true},
}

// StaleConfig configures RunStale.
type StaleConfig struct {
	Common
	Gen StaleGenConfig
	// Variants to run, by name; nil runs StaleVariants.
	Variants []string
}

// StaleResult is the outcome of the stale suite.
type StaleResult struct {
	Suite        string              `json:"suite"`
	Seed         int64               `json:"seed"`
	Embedder     string              `json:"embedder"`
	Subjects     int                 `json:"subjects"`
	PerAgent     int                 `json:"subjects_per_agent"`
	Updates      int                 `json:"max_updates"`
	Passages     int                 `json:"passages"`
	Queries      int                 `json:"queries"`
	VariantOrder []string            `json:"variant_order"`
	Modes        map[Mode]*StaleMode `json:"modes"`
	ModeOrder    []Mode              `json:"mode_order"`
	Seconds      float64             `json:"seconds"`
}

// StaleMode holds one mode's figures. Current1 and Stale5 are the headline figures over the
// keyed single-hop streams (in order and shuffled, pooled); UnkeyedCurrent1 the same over the
// unkeyed ones. Each variant's Group has current@1, stale@5, MRR, current@1 split by phrasing
// (current@1_names_attribute, current@1_other_words: see namesAttribute) and the share of queries whose
// top hit was of each kind (top1_*); multi-hop groups add hop1_current@1, hop2_current@1,
// joint@1 and chained_both@10, and their n counts chains rather than queries.
type StaleMode struct {
	Current1        float64 `json:"current@1"`
	Stale5          float64 `json:"stale@5"`
	UnkeyedCurrent1 float64 `json:"unkeyed_current@1"`
	// KeyedByAttribute is current@1 over the keyed single-hop streams, per attribute.
	KeyedByAttribute map[string]float64 `json:"keyed_current@1_by_attribute"`
	Variants         map[string]Group   `json:"variants"`
	SearchP50MS      float64            `json:"search_p50_ms"`
}

// staleQuery is one question about one slot of one stream.
type staleQuery struct {
	stream *Stream
	slot   int // -1 for a chained question
	chain  int // the chain a multi-hop query belongs to, else -1
	hop    int // 1 or 2 for a hop query, 0 otherwise
	search *search
	ref    map[string]int // passage id -> fact index, shared by the stream's queries
}

// RunStale generates the streams, stores every variant in a fresh embedded store (one agent per
// stream), asks every slot's question in every mode "now" (a day after the last event), and
// scores the top RetrieveK hits.
func RunStale(ctx context.Context, cfg StaleConfig) (*StaleResult, error) {
	ctx = state.WithTenant(ctx, state.DefaultTenant) // the bench is a client of the default tenant
	cfg.setDefaults()
	cfg.Gen.Seed = cfg.Seed
	cfg.Gen.setDefaults()
	start := time.Now()
	variants, err := selectVariants(cfg.Variants)
	if err != nil {
		return nil, err
	}
	res := &StaleResult{Suite: "stale", Seed: cfg.Seed, Embedder: cfg.embedderModel(), Subjects: cfg.Gen.Subjects, PerAgent: cfg.Gen.PerAgent,
		Updates: cfg.Gen.Updates, Modes: map[Mode]*StaleMode{}, ModeOrder: cfg.Modes}
	single, multi := GenerateStale(cfg.Gen), GenerateMultiHop(cfg.Gen)
	acc := map[Mode]map[string]*variantAcc{}
	for _, m := range cfg.Modes {
		acc[m] = map[string]*variantAcc{}
		res.Modes[m] = &StaleMode{Variants: map[string]Group{}}
	}
	lat := map[Mode][]float64{}
	for _, v := range variants {
		res.VariantOrder = append(res.VariantOrder, v.Name)
		streams := single
		if v.MultiHop {
			streams = multi
		}
		queries, p50, n, err := runStaleVariant(ctx, &cfg, v, streams)
		if err != nil {
			return nil, err
		}
		res.Passages += n
		res.Queries += len(queries)
		for _, m := range cfg.Modes {
			a := scoreStale(m, queries)
			acc[m][v.Name] = a
			res.Modes[m].Variants[v.Name] = a.group(v.Name)
			lat[m] = append(lat[m], p50[m])
		}
	}
	for _, m := range cfg.Modes {
		keyed, unkeyed := newMeans(), newMeans()
		byAttr := map[string]*means{}
		for _, v := range variants {
			if v.MultiHop {
				continue
			}
			if v.Keyed && v.KeyStyle == "" {
				keyed.merge(acc[m][v.Name].queries)
				for a, ms := range acc[m][v.Name].byAttr {
					if byAttr[a] == nil {
						byAttr[a] = newMeans()
					}
					byAttr[a].merge(ms)
				}
			} else if !v.Keyed {
				unkeyed.merge(acc[m][v.Name].queries)
			}
		}
		sm := res.Modes[m]
		sm.Current1, sm.Stale5 = round4(keyed.group("").Metrics["current@1"]), round4(keyed.group("").Metrics["stale@5"])
		sm.UnkeyedCurrent1 = round4(unkeyed.group("").Metrics["current@1"])
		sm.KeyedByAttribute = map[string]float64{}
		for a, ms := range byAttr {
			sm.KeyedByAttribute[a] = round4(ms.group("").Metrics["current@1"])
		}
		sm.SearchP50MS = round4(mean(lat[m]))
	}
	res.Seconds = round4(time.Since(start).Seconds())
	return res, nil
}

func selectVariants(names []string) ([]StaleVariant, error) {
	if len(names) == 0 {
		return StaleVariants, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []StaleVariant
	for _, v := range StaleVariants {
		if want[v.Name] {
			out = append(out, v)
			delete(want, v.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("stale: unknown variant %q", n)
	}
	return out, nil
}

// runStaleVariant stores the streams as variant v in a fresh store and asks its questions. It
// returns the queries with their answers, each mode's median latency and the passages stored.
func runStaleVariant(ctx context.Context, cfg *StaleConfig, v StaleVariant, streams []Stream) ([]*staleQuery, map[Mode]float64, int, error) {
	e, err := openEnv(ctx, cfg.Store, cfg.Embedder, cfg.Logger)
	if err != nil {
		return nil, nil, 0, err
	}
	defer e.close()
	svc, err := e.service(tickingClock(cfg.Gen.Now()))
	if err != nil {
		return nil, nil, 0, err
	}
	total := 0
	for _, s := range streams {
		total += len(s.Facts)
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x0dd))
	prog := newProgress(&cfg.Common, "stale: load "+v.Name, total)
	var queries []*staleQuery
	for i := range streams {
		s := &streams[i]
		agentID, err := e.createAgent(ctx, svc, fmt.Sprintf("stale %s %d", v.Name, i))
		if err != nil {
			return nil, nil, 0, err
		}
		ref := make(map[string]int, len(s.Facts))
		for _, fi := range s.Arrival(v.Shuffled, rng) {
			f := s.Facts[fi]
			in := pager.PassageInput{Text: f.Text, ValidFrom: &f.ValidFrom, Metadata: map[string]any{"kind": f.Kind.String(), "subject": f.Subject}}
			if v.Keyed && f.Kind == FactUpdate {
				in.Key = v.key(s, f.Slot)
			}
			p, err := svc.InsertPassage(ctx, agentID, in)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("stale: %s: insert %q: %w", v.Name, f.Text, err)
			}
			ref[p.ID] = fi
			prog.add(1)
		}
		add := func(slot, chain, hop int, text string) {
			queries = append(queries, &staleQuery{stream: s, slot: slot, chain: chain, hop: hop, ref: ref, search: newSearch(svc, agentID, text)})
		}
		if v.MultiHop {
			for ci, c := range s.Chains {
				add(c.Hop1, ci, 1, s.Slots[c.Hop1].Question)
				add(c.Hop2, ci, 2, s.Slots[c.Hop2].Question)
				add(-1, ci, 0, c.Question)
			}
		} else {
			for si, sl := range s.Slots {
				add(si, -1, 0, sl.Question)
			}
		}
	}
	prog.finish()
	searches := make([]*search, len(queries))
	for i, q := range queries {
		searches[i] = q.search
	}
	p50, err := runSearches(ctx, &cfg.Common, "stale: ask "+v.Name, searches)
	return queries, p50, total, err
}

func (k FactKind) String() string {
	switch k {
	case FactUpdate:
		return "update"
	case FactDecoy:
		return "decoy"
	case FactNoise:
		return "noise"
	}
	return "unknown"
}
