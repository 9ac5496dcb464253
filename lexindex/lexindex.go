// Package lexindex is memsvc's in-process lexical index: per-agent inverted indexes ranked by
// Okapi BM25, for the embedded store (memarchival).
//
// Each agent is its own index, with its own statistics (N, average length, document frequency),
// as PostgreSQL's postings table keeps them per agent (pgarchival): another agent's text, or
// another tenant's, never changes an agent's scores, and a search costs the agent's postings of
// the query's terms, not the table's. (SQLite FTS5, which this replaces, has one index and one set
// of statistics over every agent's rows, and ranked every matching row of every agent.)
//
// Text goes through memsvc's one text pipeline (textproc.Terms: words, stop words dropped, Porter2
// stems), so a word is the same word in the index, in the query and in the validity scorer; a
// document's length is its number of terms, as PostgreSQL counts a tsvector's positions.
//
// score = Σ idf·tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)), idf = ln(1 + (N - df + 0.5)/(df + 0.5)),
// with k1 = 1.2, b = 0.75: the formula pgarchival computes in SQL.
//
// The index holds no durable state: its owner rebuilds it from the rows it keeps. It is safe for
// concurrent use.
package lexindex

import (
	"math"
	"sync"

	"github.com/memsvc/memsvc/textproc"
)

// BM25's parameters, those of pgarchival, SQLite FTS5 and Lucene.
const (
	k1 = 1.2
	b  = 0.75
)

// MaxTerms caps the distinct terms of one query; later terms are dropped.
const MaxTerms = 64

// Index is a set of per-agent BM25 indexes.
type Index struct {
	mu     sync.RWMutex
	agents map[string]*shard
	// scratch holds per-search score arrays, reused across searches.
	scratch sync.Pool
}

// Result is one search hit.
type Result struct {
	ID    string
	Score float64 // BM25, > 0
}

// shard is one agent's index. Documents live in slots (reused after removal); postings name
// slots, and each document keeps its distinct term ids so that removal finds its postings.
type shard struct {
	terms    map[string]int32 // term -> term id
	post     [][]posting      // by term id; df is the length
	docs     []doc            // by slot; a free slot has id ""
	free     []int32
	slots    map[string]int32 // document id -> slot
	totalLen int64            // Σ dl
}

type doc struct {
	id     string
	dl     int32
	terms  []int32
	hidden bool // from SearchShown (SetHidden)
}

type posting struct {
	slot int32
	tf   int32
}

// New returns an empty index.
func New() *Index {
	return &Index{agents: make(map[string]*shard)}
}

// Add indexes text under (agentID, id), replacing what id held.
func (x *Index) Add(agentID, id, text string) { x.AddTerms(agentID, id, textproc.Terms(text)) }

// AddTerms is Add of a text whose terms (textproc.Terms) the caller has worked out, say before
// taking a lock of its own.
func (x *Index) AddTerms(agentID, id string, terms []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.agents[agentID]
	if s == nil {
		s = &shard{terms: make(map[string]int32), slots: make(map[string]int32)}
		x.agents[agentID] = s
	}
	hidden := false
	if slot, ok := s.slots[id]; ok {
		hidden = s.docs[slot].hidden
	}
	s.remove(id)
	tf := make(map[int32]int32, len(terms))
	for _, t := range terms {
		tid, ok := s.terms[t]
		if !ok {
			tid = int32(len(s.post))
			s.terms[t] = tid
			s.post = append(s.post, nil)
		}
		tf[tid]++
	}
	var slot int32
	if n := len(s.free); n > 0 {
		slot, s.free = s.free[n-1], s.free[:n-1]
	} else {
		slot = int32(len(s.docs))
		s.docs = append(s.docs, doc{})
	}
	d := doc{id: id, dl: int32(len(terms)), terms: make([]int32, 0, len(tf)), hidden: hidden}
	for tid, n := range tf {
		d.terms = append(d.terms, tid)
		s.post[tid] = append(s.post[tid], posting{slot: slot, tf: n})
	}
	s.docs[slot] = d
	s.slots[id] = slot
	s.totalLen += int64(d.dl)
}

// Remove forgets one document of agentID; removing an absent one does nothing.
func (x *Index) Remove(agentID, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if s := x.agents[agentID]; s != nil {
		s.remove(id)
		if len(s.slots) == 0 {
			delete(x.agents, agentID)
		}
	}
}

// RemoveAgent forgets every document of agentID.
func (x *Index) RemoveAgent(agentID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.agents, agentID)
}

// Len returns how many documents agentID has.
func (x *Index) Len(agentID string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.agents[agentID]; s != nil {
		return len(s.slots)
	}
	return 0
}

// remove drops id's postings and frees its slot. A posting list is unordered, so the last
// posting fills the removed one's place.
func (s *shard) remove(id string) {
	slot, ok := s.slots[id]
	if !ok {
		return
	}
	d := s.docs[slot]
	for _, tid := range d.terms {
		p := s.post[tid]
		for i := range p {
			if p[i].slot == slot {
				p[i] = p[len(p)-1]
				s.post[tid] = p[:len(p)-1]
				break
			}
		}
	}
	s.totalLen -= int64(d.dl)
	s.docs[slot] = doc{}
	s.free = append(s.free, slot)
	delete(s.slots, id)
}

// QueryTerms returns the distinct terms of text that a search uses, at most MaxTerms, in order.
func QueryTerms(text string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, t := range textproc.Terms(text) {
		if seen[t] {
			continue
		}
		seen[t] = true
		if out = append(out, t); len(out) == MaxTerms {
			break
		}
	}
	return out
}

// Search returns up to k documents of agentID by BM25 over the terms of text, best first, among
// those for which keep(id) is true (keep may be nil); equal scores go to the smaller id. Every
// document of the agent counts in the statistics, kept or not. keep runs while the index is
// read-locked, so it must not call back into the index; it is asked only about documents that
// would enter the current top k.
func (x *Index) Search(agentID, text string, k int, keep func(id string) bool) []Result {
	return x.search(agentID, text, k, keep, false)
}

// SearchShown is Search among the documents not hidden (SetHidden); hidden ones still count in
// the statistics. An owner that hides what most of its searches filter out (a store's passages
// that are no longer valid) spares them a keep call, a lookup in its own maps, per candidate.
func (x *Index) SearchShown(agentID, text string, k int, keep func(id string) bool) []Result {
	return x.search(agentID, text, k, keep, true)
}

// SetHidden hides the document (agentID, id) from SearchShown, or shows it again; an absent
// one is ignored. A document is shown when first added; a new text under the same id keeps
// the flag.
func (x *Index) SetHidden(agentID, id string, hidden bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if s := x.agents[agentID]; s != nil {
		if slot, ok := s.slots[id]; ok {
			s.docs[slot].hidden = hidden
		}
	}
}

// Hidden reports whether the document (agentID, id) is hidden; ok is false when there is none.
func (x *Index) Hidden(agentID, id string) (hidden, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.agents[agentID]; s != nil {
		if slot, ok := s.slots[id]; ok {
			return s.docs[slot].hidden, true
		}
	}
	return false, false
}

func (x *Index) search(agentID, text string, k int, keep func(id string) bool, shownOnly bool) []Result {
	terms := QueryTerms(text)
	if k <= 0 || len(terms) == 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.agents[agentID]
	if s == nil || len(s.slots) == 0 {
		return nil
	}
	n := float64(len(s.slots))
	avgdl := float64(s.totalLen) / n
	if avgdl == 0 {
		return nil
	}
	sc := x.scores(len(s.docs))
	defer x.scratch.Put(sc)
	for _, t := range terms {
		tid, ok := s.terms[t]
		if !ok || len(s.post[tid]) == 0 {
			continue
		}
		ps := s.post[tid]
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			w := idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(s.docs[p.slot].dl)/avgdl))
			if sc.val[p.slot] == 0 {
				sc.touched = append(sc.touched, p.slot)
			}
			sc.val[p.slot] += w
		}
	}
	top := topK{k: min(k, len(sc.touched))}
	for _, slot := range sc.touched {
		if shownOnly && s.docs[slot].hidden {
			continue
		}
		r := Result{ID: s.docs[slot].id, Score: sc.val[slot]}
		if top.admits(r) && (keep == nil || keep(r.ID)) {
			top.push(r)
		}
	}
	return top.sorted()
}

// scoreBuf is one search's score per slot, and the slots it touched (to clear them after).
type scoreBuf struct {
	val     []float64
	touched []int32
}

// scores returns a cleared score buffer with room for n slots.
func (x *Index) scores(n int) *scoreBuf {
	sc, _ := x.scratch.Get().(*scoreBuf)
	if sc == nil {
		sc = &scoreBuf{}
	}
	for _, slot := range sc.touched {
		if int(slot) < len(sc.val) {
			sc.val[slot] = 0
		}
	}
	sc.touched = sc.touched[:0]
	if cap(sc.val) < n {
		sc.val = make([]float64, n)
	}
	sc.val = sc.val[:n]
	return sc
}
