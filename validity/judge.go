package validity

import "github.com/memsvc/memsvc/textproc"

// judged is what validity reads off a memory's text alone: SubjectOf("", text),
// MayCompareWhole(text) and whether it is one short statement (isStatement). Ranking asks both of every candidate on every search, and an insert
// asks them of its nearest neighbours, so the same texts come back again and again; working
// them out (sentence splitting, names, openers) was a third of a search's CPU.
type judged struct {
	subject   string
	whole     bool
	statement bool // isStatement(text)
}

// maxJudgedText is the length of a text judge holds in its memo (longer ones are judged each
// time). The memo holds 262,144 texts: a bulk load into a large agent judges each new passage's
// nearest passages for possible supersession (pager.supersessionCandidates), the same texts
// again and again spread over the whole agent (on the load ladder's 100k passages every passage
// is among the 20 nearest of about 20 others); at 32,768 texts the memo missed most of them and
// judging (7 µs a text) was 14% of the fill's CPU. About 40 MiB when full of the ladder's texts,
// at most about 150 MiB of 512-byte ones; a full memo starts again empty.
const maxJudgedText = 512

var judgedMemo = textproc.NewMemo(1<<18, maxJudgedText, judgeText)

// judge returns the judgement of text, worked out once while it stays in the memo.
func judge(text string) judged { return judgedMemo.Get(text) }

func judgeText(text string) judged {
	s := subjectOfText(text)
	st := isStatement(text)
	return judged{subject: s, whole: st && s != "" && s != FirstPerson, statement: st} // whole: MayCompareWhole
}
