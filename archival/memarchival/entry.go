package memarchival

import "github.com/memsvc/memsvc/archival"

// entry holds what search needs of a passage without reading its row.
type entry struct {
	agentID    string
	id         string
	rowid      int64 // the row's rowid, which is also its passages_fts rowid
	createdAt  int64
	validFrom  int64
	validTo    int64 // meaningful only when hasValidTo
	hasValidTo bool
	status     archival.Status
	tags       []string
}

// setEntry records e, replacing the entry of the same passage. The caller holds mu for writing,
// or owns s alone.
func (s *Store) setEntry(e *entry) {
	m := s.meta[e.agentID]
	if m == nil {
		m = make(map[string]*entry)
		s.meta[e.agentID] = m
	}
	if old := m[e.id]; old != nil {
		delete(s.byRow, old.rowid)
	}
	m[e.id] = e
	s.byRow[e.rowid] = e
}

// removeEntry forgets one passage; the caller holds mu for writing.
func (s *Store) removeEntry(agentID, id string) {
	m := s.meta[agentID]
	if e := m[id]; e != nil {
		delete(s.byRow, e.rowid)
		delete(m, id)
	}
	if len(m) == 0 {
		delete(s.meta, agentID)
	}
}

// removeAgent forgets every passage of agentID; the caller holds mu for writing.
func (s *Store) removeAgent(agentID string) {
	for _, e := range s.meta[agentID] {
		delete(s.byRow, e.rowid)
	}
	delete(s.meta, agentID)
}
