package ollama

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memsvc/memsvc/pager"
)

// pinnedMark starts a pinned line, as in the pager's extractive summaries, so pinned facts stay
// recognisable from one summary to the next.
const pinnedMark = "[pinned] "

const systemPrompt = `You keep the running summary of a conversation between a user and an AI agent. Old messages are leaving the agent's context window, and your summary is all the agent will see of them.

Write the new summary: fold the new messages into the previous summary. Keep facts, decisions, names, numbers, dates, preferences and open tasks; drop greetings and small talk. Lines that start with "[pinned] " are pinned: copy every one of them into the summary exactly as written, one per line, character for character. Answer with the summary only, in plain text%s.`

// pinnedFact is a pinned line and the text whose presence shows the summary kept it.
type pinnedFact struct {
	line string // "[pinned] role: text"
	text string // "text", whitespace collapsed
}

type prompt struct {
	system, user string
	pinned       []pinnedFact
	empty        bool // no new messages: nothing to fold
}

// buildPrompt renders the chat request for in and collects its pinned facts.
func buildPrompt(in pager.SummaryInput) prompt {
	var p prompt
	for _, l := range strings.Split(in.Previous, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), pinnedMark); ok && rest != "" {
			text := rest
			if role, after, ok := strings.Cut(rest, ": "); ok && !strings.ContainsAny(role, " \t") {
				text = after
			}
			p.pinned = append(p.pinned, pinnedFact{line: pinnedMark + rest, text: collapse(text)})
		}
	}
	var msgs strings.Builder
	for _, m := range in.Messages {
		if m.Role == "system" && m.Name == "memsvc" {
			continue // the pager's own pressure warnings carry no facts
		}
		text := collapse(m.Content)
		if text == "" {
			continue
		}
		line := m.Role + ": " + text
		if m.Pinned {
			line = pinnedMark + line
			p.pinned = append(p.pinned, pinnedFact{line: line, text: text})
		}
		msgs.WriteString(line)
		msgs.WriteByte('\n')
	}
	var keep strings.Builder
	for _, f := range in.MustKeep {
		if f = collapse(f); f != "" {
			p.pinned = append(p.pinned, pinnedFact{line: f, text: f})
			keep.WriteString("- " + f + "\n")
		}
	}
	if msgs.Len() == 0 {
		p.empty = true
		return p
	}
	limit := ""
	if in.MaxTokens > 0 {
		limit = fmt.Sprintf(", in at most %d tokens", in.MaxTokens)
	}
	p.system = fmt.Sprintf(systemPrompt, limit)
	prev := strings.TrimSpace(in.Previous)
	if prev == "" {
		prev = "(none yet)"
	}
	p.user = "<previous_summary>\n" + prev + "\n</previous_summary>\n\n<new_messages>\n" + msgs.String() + "</new_messages>"
	if keep.Len() > 0 {
		p.user += "\n\nA previous summary dropped these facts of pinned messages; state each one verbatim:\n" + keep.String()
	}
	return p
}

// fit returns body with every pinned fact it lacks appended as its line, cut to max tokens by
// count: the body is cut first, leaving room for all pinned lines. max <= 0 means no limit.
func fit(body string, pinned []pinnedFact, max int, count func(string) int) string {
	body = strings.TrimSpace(body)
	out := withPinned(body, pinned)
	if max <= 0 || count(out) <= max {
		return out
	}
	reserve := 0
	if len(pinned) > 0 {
		lines := make([]string, len(pinned))
		for i, f := range pinned {
			lines[i] = f.line
		}
		reserve = count(strings.Join(lines, "\n")) + 1
	}
	return withPinned(truncateText(body, max-reserve, count), pinned)
}

// withPinned appends the line of each pinned fact whose text body lacks.
func withPinned(body string, pinned []pinnedFact) string {
	flat := collapse(body)
	var b strings.Builder
	b.WriteString(body)
	for _, f := range pinned {
		if strings.Contains(flat, f.text) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.line)
		flat += " " + f.text // a fact pinned twice is appended once
	}
	return b.String()
}

// truncateText returns the longest prefix of text that ends at a word end and counts at most max
// tokens; its line breaks are kept.
func truncateText(text string, max int, count func(string) int) string {
	if max <= 0 {
		return ""
	}
	if count(text) <= max {
		return text
	}
	var ends []int // offsets just past each word
	for i := 0; i < len(text); i++ {
		if !isSpace(text[i]) && (i+1 == len(text) || isSpace(text[i+1])) {
			ends = append(ends, i+1)
		}
	}
	lo, hi := 0, len(ends) // the answer is ends[lo-1], or "" when lo == 0
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if count(text[:ends[mid-1]]) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return ""
	}
	return text[:ends[lo-1]]
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// collapse trims s and turns each run of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// cleanOutput drops a leading <think>…</think> block that reasoning models may emit, and the
// control characters (but line breaks and tabs) and invalid UTF-8 that a model can produce and a
// store may refuse (PostgreSQL text cannot hold NUL).
func cleanOutput(s string) string {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "<think>"); ok {
		if _, after, ok := strings.Cut(rest, "</think>"); ok {
			t = strings.TrimSpace(after)
		}
	}
	t = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(t, ""))
	return strings.TrimSpace(t)
}

// approxTokens is the token count used when SummaryInput.Count is nil: about four bytes a token.
func approxTokens(s string) int { return (len(s) + 3) / 4 }
