package memarchival

import "github.com/memsvc/memsvc/archival"

// entry holds what search needs of a passage without reading its row.
type entry struct {
	agentID    string
	id         string
	createdAt  int64
	validFrom  int64
	validTo    int64 // meaningful only when hasValidTo
	hasValidTo bool
	status     archival.Status
	tags       []string
	textSum    uint64 // textSum of the words the lexical index holds (archival.Passage.LexicalText)
}

// setEntry records e, replacing the entry of the same passage. The caller holds mu for writing,
// or owns s alone.
func (s *Store) setEntry(e *entry) {
	m := s.meta[e.agentID]
	if m == nil {
		m = make(map[string]*entry)
		s.meta[e.agentID] = m
	}
	old := m[e.id]
	m[e.id] = e
	// A search without as_of or include_invalid keeps valid passages only: both indexes skip
	// the others themselves (SearchShown) instead of asking keep of each candidate. An index
	// shows what it is given, and a new vector or text under the same id keeps the flag, so
	// the flag changes only with the status (most writes leave it).
	hidden := e.status != archival.StatusValid
	if hidden != (old != nil && old.status != archival.StatusValid) {
		s.idx.SetHidden(e.agentID, e.id, hidden)
		s.lex.SetHidden(e.agentID, e.id, hidden)
	}
}

// removeEntry forgets one passage; the caller holds mu for writing.
func (s *Store) removeEntry(agentID, id string) {
	m := s.meta[agentID]
	delete(m, id)
	if len(m) == 0 {
		delete(s.meta, agentID)
	}
}

// removeAgent forgets every passage of agentID; the caller holds mu for writing.
func (s *Store) removeAgent(agentID string) {
	delete(s.meta, agentID)
}
