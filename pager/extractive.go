package pager

import (
	"context"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memsvc/memsvc/textproc"
	"github.com/memsvc/memsvc/validity"
)

// Extractive is the built-in summarizer; it needs no model. It folds the previous summary and the
// evicted span into a new summary recursively, by choosing whole sentences:
//
//   - the units are the sentences of the evicted messages (split by textproc.Sentences, so "costs
//     4.50" stays whole) and of the previous summary's lines; a pinned message or line is one
//     unit, always kept verbatim;
//   - a unit's salience is the weight of the facts it states that no chosen unit states yet
//     (validity.Facts: numbers and names weigh more than other key terms, facts the retention
//     check asks for in MustKeep most): coverage, so a second sentence saying the same is worth
//     nothing;
//   - units are chosen greedily by salience per token until the budget is spent (the classic
//     approximation for budgeted coverage), the previous summary's at a discount, so the new span
//     is summarized first and the older facts that matter most are carried on;
//   - the chosen sentences are written back in their original order, one line per message
//     ("role: sentence sentence"), the previous summary's lines first.
type Extractive struct{}

// Weights of a fact in a unit's salience, and the discount on the previous summary's units.
const (
	numberWeight   = 3.0
	nameWeight     = 3.0
	termWeight     = 1.0
	mustKeepWeight = 10.0
	carryDiscount  = 0.5
	// maxSentenceBytes clips a sentence with no end in sight (a pasted log, a long list).
	maxSentenceBytes = 320
)

// summaryUnit is one sentence (or one pinned line) that may go into the summary.
type summaryUnit struct {
	line   int // the output line it belongs to
	text   string
	pinned bool
	carry  bool // from the previous summary
	facts  []string
	tokens int
}

// summaryLine is one line of the summary: a previous line or an evicted message.
type summaryLine struct {
	role    string
	speaker string // a "Name: " that opens the message (a transcript's speaker), kept out of its units
	pinned  bool
	text    string // a pinned line's whole text
}

// Summarize implements Summarizer.
func (Extractive) Summarize(ctx context.Context, in SummaryInput) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var lines []summaryLine
	var units []summaryUnit
	add := func(role, text string, pinned, carry bool) {
		l := len(lines)
		var speaker string
		if !pinned {
			speaker, text = splitSpeaker(text)
		}
		lines = append(lines, summaryLine{role: role, speaker: speaker, pinned: pinned, text: text})
		if pinned {
			units = append(units, summaryUnit{line: l, text: text, pinned: true, carry: carry})
			return
		}
		for _, s := range textproc.Sentences(text) {
			units = append(units, summaryUnit{line: l, text: clip(s, maxSentenceBytes), carry: carry})
		}
	}
	for _, l := range strings.Split(in.Previous, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, pinnedMark); ok {
			role, text := splitRole(rest)
			add(role, text, true, true)
			continue
		}
		role, text := splitRole(l)
		add(role, text, false, true)
	}
	for _, m := range in.Messages {
		if m.Role == "system" && m.Name == "memsvc" {
			continue // our own pressure warnings carry no facts
		}
		if text := strings.Join(strings.Fields(m.Content), " "); text != "" {
			add(m.Role, text, m.Pinned, false)
		}
	}
	chosen := chooseUnits(units, lines, in)
	out := renderUnits(lines, units, chosen)
	// The estimate counted units one by one; the text as joined may count a little more. Drop the
	// least salient chosen units until it fits (only pinned ones may be left over budget).
	for in.Count(out) > in.MaxTokens {
		drop := -1
		for i := len(chosen) - 1; i >= 0; i-- {
			if !units[chosen[i]].pinned {
				drop = i
				break
			}
		}
		if drop < 0 {
			break
		}
		chosen = slices.Delete(chosen, drop, drop+1)
		out = renderUnits(lines, units, chosen)
	}
	return out, nil
}

// chooseUnits returns the indexes of the units to keep, in the order they were chosen: the pinned
// ones, then the best salience per token while the budget lasts.
func chooseUnits(units []summaryUnit, lines []summaryLine, in SummaryInput) []int {
	must := make(map[string]bool, len(in.MustKeep))
	for _, f := range in.MustKeep {
		must[f] = true
	}
	weight := map[string]float64{}
	for i := range units {
		u := &units[i]
		u.facts = validity.Facts(u.text)
		u.tokens = in.Count(u.text) + 1 // the space or newline before it
		for _, f := range u.facts {
			weight[f] = termWeight
		}
	}
	for i := range units {
		for _, e := range validity.Entities(units[i].text) {
			weight[textproc.Stem(e)] = nameWeight
		}
		for _, f := range units[i].facts {
			if textproc.HasDigit(f) {
				weight[f] = numberWeight
			}
		}
	}
	for f := range must {
		if _, ok := weight[f]; ok {
			weight[f] = mustKeepWeight
		}
	}
	covered := map[string]bool{}
	opened := make([]bool, len(lines)) // lines with a chosen unit: the role prefix is paid
	budget := in.MaxTokens
	var chosen []int
	take := func(i int) {
		u := units[i]
		chosen = append(chosen, i)
		budget -= u.tokens
		if !opened[u.line] {
			opened[u.line] = true
			budget -= 3 // "role: "
		}
		for _, f := range u.facts {
			covered[f] = true
		}
	}
	for i, u := range units {
		if u.pinned {
			take(i)
		}
	}
	done := make([]bool, len(units))
	for i, u := range units {
		done[i] = u.pinned
	}
	for {
		best, bestRatio := -1, 0.0
		for i, u := range units {
			if done[i] {
				continue
			}
			cost := u.tokens
			if !opened[u.line] {
				cost += 3
			}
			if cost > budget {
				continue
			}
			gain := 0.0
			for _, f := range u.facts {
				if !covered[f] {
					gain += weight[f]
				}
			}
			if gain == 0 {
				done[i] = true // it says nothing new, now or later
				continue
			}
			if u.carry {
				gain *= carryDiscount
			}
			// Per token, with a sub-linear length penalty so one long sentence full of facts is
			// not beaten by many two-word fragments.
			ratio := gain / math.Sqrt(float64(cost))
			if ratio > bestRatio || (ratio == bestRatio && best >= 0 && i > best) {
				best, bestRatio = i, ratio
			}
		}
		if best < 0 {
			return chosen
		}
		done[best] = true
		take(best)
	}
}

// renderUnits writes the chosen units back in their original order, one line per message.
func renderUnits(lines []summaryLine, units []summaryUnit, chosen []int) string {
	keep := make([]bool, len(units))
	for _, i := range chosen {
		keep[i] = true
	}
	var b strings.Builder
	last := -1
	for i, u := range units {
		if !keep[i] {
			continue
		}
		if u.line != last {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			l := lines[u.line]
			if l.pinned {
				b.WriteString(pinnedMark)
			}
			if l.role != "" {
				b.WriteString(l.role + ": ")
			}
			if l.speaker != "" {
				b.WriteString(l.speaker + ": ")
			}
			last = u.line
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(u.text)
	}
	return b.String()
}

// splitRole splits a summary line "role: text" into its role and text; a line without a role
// prefix has none.
func splitRole(l string) (role, text string) {
	r, t, ok := strings.Cut(l, ": ")
	if !ok || r == "" || len(r) > 32 || strings.ContainsAny(r, " \t") {
		return "", l
	}
	return r, t
}

// splitSpeaker splits a message that opens with its speaker's name ("Caroline: I went…", as a
// transcript or a group chat writes it) into the name and the rest, so that the name is written
// once per line and does not make the first sentence look more salient than the others.
func splitSpeaker(text string) (speaker, rest string) {
	s, r, ok := strings.Cut(text, ": ")
	if !ok || len(s) > 32 || strings.ContainsAny(s, " \t") || r == "" {
		return "", text
	}
	if c, _ := utf8.DecodeRuneInString(s); !unicode.IsUpper(c) {
		return "", text
	}
	return s, r
}
