package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Conversation is one LoCoMo sample, reduced to what the locomo suite uses.
type Conversation struct {
	ID                 string
	SpeakerA, SpeakerB string
	Sessions           []Session // by number, ascending
	QA                 []QA
}

// Session is one dated session of a conversation.
type Session struct {
	N     int
	Date  time.Time
	Turns []Turn
}

// Turn is one utterance.
type Turn struct {
	DiaID, Speaker, Text, Caption string
}

// Passage is the text a turn is stored as: "<speaker>: <text>", plus " [image: <caption>]".
func (t Turn) Passage() string {
	s := t.Speaker + ": " + t.Text
	if t.Caption != "" {
		s += " [image: " + t.Caption + "]"
	}
	return s
}

// QA is one question. Evidence holds the normalized evidence ids that name a turn of the
// conversation; it is empty for an item that has none, which retrieval metrics exclude.
type QA struct {
	Question    string
	Category    int
	Evidence    []string
	RawEvidence []string
}

// CategoryNames are the names of LoCoMo's QA categories as the upstream evaluation code uses
// them (see ../shared/data/locomo/README.md); reports show the numeric id beside the name.
var CategoryNames = map[int]string{1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}

// LastDate is the date of the conversation's last non-empty session.
func (c Conversation) LastDate() time.Time {
	var last time.Time
	for _, s := range c.Sessions {
		if len(s.Turns) > 0 && s.Date.After(last) {
			last = s.Date
		}
	}
	return last
}

// LoadLocomo reads a LoCoMo JSON file (the upstream locomo10.json schema).
func LoadLocomo(path string) ([]Conversation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("locomo: %w", err)
	}
	defer f.Close()
	convs, err := ParseLocomo(f)
	if err != nil {
		return nil, fmt.Errorf("locomo: %s: %w", path, err)
	}
	return convs, nil
}

type rawSample struct {
	SampleID     string                     `json:"sample_id"`
	Conversation map[string]json.RawMessage `json:"conversation"`
	QA           []struct {
		Question string   `json:"question"`
		Category int      `json:"category"`
		Evidence []string `json:"evidence"`
	} `json:"qa"`
}

type rawTurn struct {
	Speaker     string `json:"speaker"`
	DiaID       string `json:"dia_id"`
	Text        string `json:"text"`
	BlipCaption string `json:"blip_caption"`
}

var sessionKeyRE = regexp.MustCompile(`^session_(\d+)$`)

// ParseLocomo decodes LoCoMo samples. Sessions are found by their session_N keys (date keys
// without a session are ignored, as in conv-26); each session's date comes from
// session_N_date_time. Evidence is normalized by NormalizeEvidence and kept only where it names
// a turn of the conversation.
func ParseLocomo(r io.Reader) ([]Conversation, error) {
	var raw []rawSample
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	out := make([]Conversation, 0, len(raw))
	for _, s := range raw {
		c, err := parseSample(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.SampleID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseSample(s rawSample) (Conversation, error) {
	c := Conversation{ID: s.SampleID}
	if err := stringField(s.Conversation, "speaker_a", &c.SpeakerA); err != nil {
		return c, err
	}
	if err := stringField(s.Conversation, "speaker_b", &c.SpeakerB); err != nil {
		return c, err
	}
	turns := map[string]bool{}
	for key, msg := range s.Conversation {
		m := sessionKeyRE.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		var date string
		if err := stringField(s.Conversation, key+"_date_time", &date); err != nil {
			return c, err
		}
		d, err := ParseSessionDate(date)
		if err != nil {
			return c, fmt.Errorf("%s: %w", key, err)
		}
		var rts []rawTurn
		if err := json.Unmarshal(msg, &rts); err != nil {
			return c, fmt.Errorf("%s: %w", key, err)
		}
		sess := Session{N: n, Date: d}
		for _, t := range rts {
			sess.Turns = append(sess.Turns, Turn{DiaID: t.DiaID, Speaker: t.Speaker, Text: t.Text, Caption: strings.TrimSpace(t.BlipCaption)})
			turns[t.DiaID] = true
		}
		c.Sessions = append(c.Sessions, sess)
	}
	sort.Slice(c.Sessions, func(i, j int) bool { return c.Sessions[i].N < c.Sessions[j].N })
	for _, q := range s.QA {
		item := QA{Question: q.Question, Category: q.Category, RawEvidence: q.Evidence}
		for _, id := range NormalizeEvidence(q.Evidence) {
			if turns[id] {
				item.Evidence = append(item.Evidence, id)
			}
		}
		c.QA = append(c.QA, item)
	}
	return c, nil
}

func stringField(m map[string]json.RawMessage, key string, dst *string) error {
	msg, ok := m[key]
	if !ok {
		return fmt.Errorf("conversation has no %q", key)
	}
	if err := json.Unmarshal(msg, dst); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// NormalizeEvidence applies the README's rule to raw evidence strings: split each on ';' and
// whitespace, keep only the tokens that match D<digits>:<digits>, and drop repeats, keeping the
// first order. ("D8:6; D9:17" gives D8:6 and D9:17; "D" and "D:11:26" give nothing.)
func NormalizeEvidence(raw []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range raw {
		for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || isSpace(r) }) {
			if diaIDRE.MatchString(tok) && !seen[tok] {
				seen[tok] = true
				out = append(out, tok)
			}
		}
	}
	return out
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// sessionDateLayouts are the forms LoCoMo's session_N_date_time takes ("1:56 pm on 8 May, 2023"),
// and a few near variants, tried in order on the space-collapsed text, lower-cased for the am/pm
// marker (month names match in any case).
var sessionDateLayouts = []string{
	"3:04 pm on 2 January, 2006",
	"3:04 pm on 2 January 2006",
	"3:04 pm on January 2, 2006",
	"3:04pm on 2 January, 2006",
	"3:04 pm on 2 Jan, 2006",
	"3:04 pm, 2 January, 2006",
	"15:04 on 2 January, 2006",
	"2 January, 2006",
	"2 January 2006",
	"January 2, 2006",
	"2 Jan, 2006",
	"2006-01-02",
}

// ParseSessionDate parses a LoCoMo session date such as "1:56 pm on 8 May, 2023" into UTC.
func ParseSessionDate(s string) (time.Time, error) {
	norm := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, layout := range sessionDateLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("session date %q: want a form like \"1:56 pm on 8 May, 2023\"", s)
}
