package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// BeamChat is one BEAM chat as ../shared/data/beam/beam-500k-user.json holds it: the user's
// messages in order and the probes asked of them (see that file's README).
type BeamChat struct {
	Chat            string            `json:"chat"`
	Messages        []BeamMessage     `json:"messages"`
	KnowledgeUpdate []BeamUpdate      `json:"knowledge_update"`
	Contradictions  []BeamConflict    `json:"contradiction_resolution"`
	sessions        map[int]time.Time // message id -> its session's date
}

// BeamMessage is one user message; TimeAnchor opens a session ("March-15-2024").
type BeamMessage struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	TimeAnchor string `json:"time_anchor"`
}

// BeamUpdate is a knowledge-update probe: the message that stated the old value and the one
// that stated the new.
type BeamUpdate struct {
	Question    string `json:"question"`
	Answer      string `json:"answer"`
	OriginalIDs []int  `json:"original_ids"`
	UpdatedIDs  []int  `json:"updated_ids"`
}

// BeamConflict is a contradiction probe: two statements that contradict each other.
type BeamConflict struct {
	Question  string `json:"question"`
	FirstIDs  []int  `json:"first_ids"`
	SecondIDs []int  `json:"second_ids"`
}

// beamMarker is the plan annotation BEAM appends to a message ("->-> 1,3"); it is not the
// user's text and is dropped.
var beamMarker = regexp.MustCompile(`\s*->->\s*[\d,\s]*$`)

// Text is the message as a user wrote it (without BEAM's plan annotation).
func (m BeamMessage) Text() string {
	return strings.TrimSpace(beamMarker.ReplaceAllString(m.Content, ""))
}

// LoadBeam reads the BEAM development file and dates every message by its session's anchor (a
// message without one belongs to the session of the last anchor before it).
func LoadBeam(path string) ([]BeamChat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("beam: %w", err)
	}
	var chats []BeamChat
	if err := json.Unmarshal(b, &chats); err != nil {
		return nil, fmt.Errorf("beam: %s: %w", path, err)
	}
	for i := range chats {
		c := &chats[i]
		c.sessions = map[int]time.Time{}
		var cur time.Time
		for _, m := range c.Messages {
			if m.TimeAnchor != "" {
				t, err := time.Parse("January-02-2006", m.TimeAnchor)
				if err != nil {
					return nil, fmt.Errorf("beam: %s message %d: time_anchor %q: %w", c.Chat, m.ID, m.TimeAnchor, err)
				}
				cur = t
			}
			if cur.IsZero() {
				return nil, fmt.Errorf("beam: %s message %d precedes the first time_anchor", c.Chat, m.ID)
			}
			c.sessions[m.ID] = cur
		}
	}
	return chats, nil
}

// Date is the date of message id's session; false when the chat has no such message.
func (c *BeamChat) Date(id int) (time.Time, bool) {
	t, ok := c.sessions[id]
	return t, ok
}

// LastDate is the date of the chat's last session.
func (c *BeamChat) LastDate() time.Time {
	var last time.Time
	for _, t := range c.sessions {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// resolvable reports whether every id names a message of the chat, and there is at least one.
func (c *BeamChat) resolvable(ids ...[]int) bool {
	for _, l := range ids {
		if len(l) == 0 {
			return false
		}
		for _, id := range l {
			if _, ok := c.sessions[id]; !ok {
				return false
			}
		}
	}
	return true
}

// probeSides is one resolvable probe of a chat: its question, whether it is a knowledge update
// (else a contradiction), and what the messages of its two sides were stored as (original and
// updated, or first and second statement).
type probeSides struct {
	question      string
	update        bool
	first, second map[string]bool
}

// probeSides returns the chat's resolvable probes, updates first; byMsg maps a message id to the
// id it was stored under.
func (c *BeamChat) probeSides(byMsg map[int]string) []probeSides {
	ids := func(l []int) map[string]bool {
		out := map[string]bool{}
		for _, id := range l {
			if p, ok := byMsg[id]; ok {
				out[p] = true
			}
		}
		return out
	}
	var out []probeSides
	for _, u := range c.KnowledgeUpdate {
		if c.resolvable(u.OriginalIDs, u.UpdatedIDs) {
			out = append(out, probeSides{question: u.Question, update: true, first: ids(u.OriginalIDs), second: ids(u.UpdatedIDs)})
		}
	}
	for _, x := range c.Contradictions {
		if c.resolvable(x.FirstIDs, x.SecondIDs) {
			out = append(out, probeSides{question: x.Question, first: ids(x.FirstIDs), second: ids(x.SecondIDs)})
		}
	}
	return out
}
