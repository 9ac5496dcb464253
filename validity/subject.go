package validity

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memsvc/memsvc/textproc"
)

// notNames are capitalized words that are not names: function words that open sentences and
// questions, pronouns, the interjections and replies that open chat turns, and calendar words.
var notNames = setOf(`a about after all also an and any are as at be because been before being
both but by can could did do does doing done during each either even ever every few for from
had has have having he her here hers herself him himself his how however i if in into is it its
itself just last let like many may maybe me might more most much must my myself neither never
next no nor not now of off often on once only or other our ours out over own perhaps please
rather really recently same she should since so some still such than that the their theirs them
themselves then there these they this those though through thus to today tomorrow too under
until up upon us very was we were what whatever when whenever where whereas wherever whether
which while who whom whose why will with within without would yes yesterday yet you your yours
yourself hey hi hello oh ok okay thanks thank sure wow well yeah great good nice
haha hahaha lol omg aw aww ah aha hmm yep yup nope cool awesome amazing wonderful congrats
congratulations sorry absolutely definitely totally exactly indeed alright glad
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december`)

func setOf(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Entities returns the names a text mentions, lowercased, in order of first mention: words
// that start with a capital letter and are not common capitalized words, units after a number
// or things before their version (numbered). A possessive "'s" is dropped ("Alice's" →
// "alice"), and what opens a sentence without naming anything is skipped (dropOpeners).
func Entities(text string) []string {
	var out []string
	seen := map[string]bool{}
	text = dropOpeners(text)
	values, units := numbered(text)
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’' && r != '-'
	}) {
		w = strings.Trim(w, "'’-")
		for _, suf := range []string{"'s", "’s"} {
			w = strings.TrimSuffix(w, suf)
		}
		r, _ := utf8.DecodeRuneInString(w)
		if w == "" || !unicode.IsUpper(r) {
			continue
		}
		l := strings.ToLower(w)
		if notNames[l] || textproc.IsStop(l) || seen[l] || isAllCaps(w) && len(w) <= 2 {
			continue
		}
		if units[l] || values[l] {
			continue // "512 MiB", "23:30 UTC"; "Redis 7.2", "Port 8080": a unit, a thing with its value
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// frequencies are the adjectives of how often something happens, which open a sentence before
// the noun they modify.
var frequencies = setOf(`hourly daily nightly weekly fortnightly monthly quarterly yearly annual early`)

// labels open a note without being its speaker or subject ("Update: Alice lives in Rome").
var labels = setOf(`update updated note correction edit reminder fyi todo important news ps re info`)

// dropOpeners removes what opens a sentence without naming anything: a label with a colon
// ("Update:"), a verb or noun that opensNoName ("Raised the", "Heads up,"), a leading phrase set
// off by a comma that names nothing ("As of today,"), and a sentence adverb ("Lately",
// "Currently,"): a capitalized word ending in "ly" followed by a comma or by another capitalized
// word ("Lately Alice's favourite dish is sushi", while "Emily lives in Rome" keeps Emily).
// Quotes around a sentence are dropped too.
func dropOpeners(text string) string {
	sents := textproc.Sentences(text)
	for i, s := range sents {
		s = strings.TrimLeft(s, "\"'“‘«( ")
		if head, rest, ok := strings.Cut(s, ":"); ok && labels[strings.ToLower(strings.TrimSpace(head))] {
			s = strings.TrimSpace(rest)
		}
		f := strings.Fields(s)
		if len(f) > 1 && frequencies[strings.ToLower(f[0])] && isLowerWord(f[1]) {
			// An adjective of frequency before a noun ("Nightly backups of the vault", "Weekly
			// reports go to Bob") names nothing.
			f = f[1:]
			s = strings.Join(f, " ")
		}
		if len(f) > 1 && opensNoName(f[0], f[1]) {
			// A first word followed by an article is a verb ("Raised the limit", "Call the
			// vault"), one followed by "up" a phrase ("Heads up"), a plural, a participle or a
			// past tense followed by "of" a noun or a verb ("Backups of the vault"): no name.
			f = f[1:]
			if len(f) > 1 && strings.ContainsAny(f[0], ",:") {
				f = f[1:] // "Heads up, the vault moved"
			}
			s = strings.Join(f, " ")
		}
		// A leading phrase set off by a comma that names nothing ("As of today, the vault
		// moved", "In the end, …") is an adverbial.
		for k := 0; k < min(len(f)-1, 4); k++ {
			if strings.HasSuffix(f[k], ",") {
				if k > 0 && len(Entities(strings.Join(f[:k+1], " "))) == 0 && !firstPerson[strings.ToLower(strings.Trim(f[0], ","))] {
					f = f[k+1:]
					s = strings.Join(f, " ")
				}
				break
			}
		}
		if len(f) > 1 {
			w := f[0]
			next, _ := utf8.DecodeRuneInString(strings.TrimLeft(f[1], "\"'“‘"))
			core := strings.TrimSuffix(w, ",")
			if len(core) > 4 && strings.HasSuffix(strings.ToLower(core), "ly") && (strings.HasSuffix(w, ",") || unicode.IsUpper(next)) {
				s = strings.Join(f[1:], " ")
			}
		}
		sents[i] = s
	}
	return strings.Join(sents, " ")
}

// opensNoName reports whether a sentence's first word w, followed by next, is a verb or a common
// noun rather than a name: before an article ("Raised the", "Call the") or "up" ("Heads up"), and
// before "of" when it ends like a plural or a verb form ("Backups of", "Parts of"), which keeps
// "Joan of Arc" and "Catherine of Aragon". A name is hardly ever followed by an article ("Alice
// the baker" is the rare loss).
func opensNoName(w, next string) bool {
	if strings.ContainsAny(w, ",;:") {
		return false
	}
	n := strings.ToLower(strings.Trim(next, "\"'“‘,;:"))
	switch n {
	case "the", "a", "an", "up":
		return true
	case "of":
		l := strings.ToLower(w)
		return strings.HasSuffix(l, "s") || strings.HasSuffix(l, "ed") || strings.HasSuffix(l, "ing")
	}
	return false
}

// unitWords are units and time zones, which follow a number ("512 MiB", "23:30 UTC").
var unitWords = setOf(`kb kib mb mib gb gib tb tib pb ms ns rpm rps qps cpu cpus vcpu vcpus utc gmt cet cest
pst pdt est edt ist jst usd eur gbp jpy`)

// numbered finds, among the words of text (lowercased), those that stand next to a number as no
// name does: a unit right after a number ("512 MiB", "23:30 UTC"), and a word right before a
// version or a number of three digits or more ("Redis 7.2.4", "Port 8080", "Room 101"), which
// is a thing with its value. Words next to a small count or set off by a comma stay names
// ("Alice 2 weeks ago", "Alice, 34, is a nurse").
func numbered(text string) (values, units map[string]bool) {
	f := strings.Fields(text)
	for i := 0; i+1 < len(f); i++ {
		w, next := f[i], strings.TrimRight(f[i+1], ".,;:!?)")
		if r, _ := utf8.DecodeRuneInString(next); !unicode.IsDigit(r) || !textproc.IsWord(w) {
			if last, _ := utf8.DecodeLastRuneInString(w); unicode.IsDigit(last) && textproc.IsWord(next) && unitWords[strings.ToLower(next)] {
				if units == nil {
					units = map[string]bool{}
				}
				units[strings.ToLower(next)] = true
			}
			continue
		}
		if strings.ContainsAny(next, ".:") || digits(next) >= 3 {
			if values == nil {
				values = map[string]bool{}
			}
			values[strings.ToLower(w)] = true
		}
	}
	return values, units
}

// isLowerWord reports whether w is a word in lower case ("backups", not "Backups" or "API").
func isLowerWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return textproc.IsWord(w) && unicode.IsLower(r)
}

func digits(w string) int {
	n := 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// FirstPerson is the subject of a memory written in the first person ("I moved to Berlin"): the
// user, as a key "user/city" names them.
const FirstPerson = "user"

var firstPerson = setOf(`i i'm i’m i've i’ve i'd i’d i'll i’ll my me we we're we’re we've we’ve our`)

// isFirstPerson reports whether text, past its openers, starts with a first-person pronoun.
func isFirstPerson(text string) bool {
	f := strings.Fields(dropOpeners(text))
	return len(f) > 0 && firstPerson[strings.ToLower(strings.Trim(f[0], ",.;:!?"))]
}

func isAllCaps(w string) bool {
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// SubjectOf returns what a memory is about: the subject of its key ("alice/city" → "alice"),
// else its speaker when it reads "Name: text", else FirstPerson for a text in the first person,
// else the relation it opens with ("Alice's sister lives in Paris" → "alice's sister", "Alice's
// friend Tom …" → "tom": relativeSubject), else the first name it mentions, else "". Openers
// that name nothing ("Update:", "Lately") are skipped. Only a key of the form subject/attribute
// names a subject: an opaque key ("k17", "slot-3") names the slot alone, and the text says whom
// it is about.
func SubjectOf(key, text string) string {
	if s, _, ok := strings.Cut(key, "/"); ok {
		// "northwind-logistics" names the subject a text calls "Northwind Logistics", whose first
		// name is what Entities yields for it.
		if f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '_' || r == ' ' || r == '.' }); len(f) > 0 {
			return f[0]
		}
		return ""
	}
	if len(text) > maxJudgedText {
		return subjectOfText(text) // not cached: only the subject is worked out
	}
	return judge(text).subject
}

// subjectOfText is SubjectOf of a text without a key, worked out.
func subjectOfText(text string) string {
	if head, _, ok := strings.Cut(text, ": "); ok && len(head) <= 40 && !labels[strings.ToLower(strings.TrimSpace(head))] {
		if names := Entities(head); len(names) > 0 && len(strings.Fields(head)) <= 3 {
			return names[0]
		}
	}
	if isFirstPerson(text) {
		return FirstPerson
	}
	if s, ok := commonNounSubject(text); ok {
		// A thing named by common nouns ("the pricing engine") is no subject that scoring can
		// compare: its words stay in the text's embedding, and a query names it in words.
		if slices.Contains(Entities(text), s) {
			return s
		}
		return ""
	}
	if s, ok := relativeSubject(text); ok {
		return s
	}
	if names := Entities(text); len(names) > 0 {
		return names[0]
	}
	return ""
}

// personNouns name people by their relation to someone ("Alice's sister", "Bob's landlord"):
// kin, household, work, school and care, in the singular (personNoun reads plurals). "Alice's sister lives in Paris" is about the sister.
var personNouns = setOf(`sister brother sibling twin mother father mom mum dad mommy daddy parent
stepmother stepfather stepmom stepdad son daughter kid child baby stepson stepdaughter wife
husband spouse partner boyfriend girlfriend fiance fiancé fiancee fiancée ex grandmother
grandfather grandma grandpa granny grandparents grandson granddaughter grandkids cousin aunt
uncle nephew niece in-laws mother-in-law father-in-law brother-in-law sister-in-law friend buddy
pal roommate flatmate housemate neighbour neighbor landlord landlady tenant colleague coworker
co-worker boss manager supervisor employee assistant intern mentor mentee teammate classmate
teacher tutor coach student doctor dentist therapist nurse lawyer accountant client customer
guest nanny babysitter caregiver`)

// relativeSubject returns the subject of a text that opens, past its openers, with a name's
// relation to a person doing something ("Alice's sister lives in Paris", "Bob's new boss is
// Tom", "Carol's kids love the beach"): "alice's sister", whose statements are not Alice's and
// do not compete with hers for a slot. A relation given its own name ("Alice's friend Tom lives
// in Rome", "Alice's sister, Emma, moved") is that person: "tom". A relation word that is part
// of a noun ("Alice's student loan is paid off", "Alice's doctor appointment") is Alice's thing,
// not a person: a relation is taken only when a verb follows it (relationVerb).
func relativeSubject(text string) (string, bool) {
	sents := textproc.Sentences(dropOpeners(text))
	if len(sents) == 0 {
		return "", false
	}
	f := strings.Fields(strings.TrimLeft(sents[0], "\"'“‘«( "))
	owner, rel, j, ok := relationAt(f, 0)
	if !ok || j+1 >= len(f) {
		return "", false
	}
	if name, ok := givenName(f[j+1]); ok {
		return name, true // "Alice's friend Tom lives …", "Alice's sister, Emma, moved …"
	}
	if !relationVerb(f[j+1], relationWord(f[j]) != rel) {
		return "", false
	}
	return owner + "'s " + rel, true
}

// relationAt reads a name's relation at f[i] ("Alice's sister", "Bob's new boss", "James'
// parents"): the owner, the relation in the singular, and the index of the relation's word.
func relationAt(f []string, i int) (owner, rel string, j int, ok bool) {
	if i+1 >= len(f) {
		return "", "", 0, false
	}
	owner, ok = possessor(strings.TrimLeft(f[i], "\"'“‘«("))
	if !ok {
		return "", "", 0, false
	}
	j = i + 1
	if personNoun(relationWord(f[j])) == "" && isLowerWord(f[j]) && j+1 < len(f) && personNoun(relationWord(f[j+1])) != "" {
		j++ // "Alice's older sister", "Bob's new boss"
	}
	if rel = personNoun(relationWord(f[j])); rel == "" {
		return "", "", 0, false
	}
	return owner, rel, j, true
}

// personNoun returns w as personNouns holds it, in the singular ("friends" → "friend",
// "children" → "child"), or "" when w names no relation.
func personNoun(w string) string {
	switch {
	case w == "children" || w == "grandchildren":
		return strings.TrimSuffix(w, "ren")
	case strings.HasSuffix(w, "s") && personNouns[strings.TrimSuffix(w, "s")]:
		return strings.TrimSuffix(w, "s")
	case personNouns[w]:
		return w
	}
	return ""
}

// givenName returns the name a word is ("Tom" in "Alice's friend Tom", "Alice" of "Alice's"),
// or false.
func givenName(w string) (string, bool) {
	core := strings.Trim(w, ",;:")
	if names := Entities(core); len(names) == 1 && names[0] == strings.ToLower(core) {
		return names[0], true
	}
	return "", false
}

// relationAux are the words after a relation that begin its verb phrase ("Alice's sister is",
// "… will move", "… just moved").
var relationAux = setOf(`is are was were has have had will would can could should may might must
does do did just also still now never always often finally already recently soon`)

// relationVerb reports whether w, after a relation (plural: written in the plural), begins a
// verb phrase: an auxiliary or adverb, a past tense, a present tense ("lives"), or after a
// plural relation any word in lower case ("Carol's kids love"). A noun after a relation
// ("Alice's student loan") is none.
func relationVerb(w string, plural bool) bool {
	w = strings.Trim(w, ".,;:!?")
	if !isLowerWord(w) {
		return false
	}
	return plural || relationAux[w] || strings.HasSuffix(w, "ed") || strings.HasSuffix(w, "ly") ||
		strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss")
}

// possessor returns the name a possessive word names ("Alice's" → "alice", "James'" →
// "james").
func possessor(w string) (string, bool) {
	for _, suf := range []string{"'s", "’s", "'", "’"} {
		core, ok := strings.CutSuffix(w, suf)
		if !ok || (suf == "'" || suf == "’") && !strings.HasSuffix(strings.ToLower(core), "s") {
			continue // a bare apostrophe only after a name ending in s
		}
		if name, ok := givenName(core); ok {
			return name, true
		}
	}
	return "", false
}

// relationWord is a word of a text as personNouns holds it: lower-case, without punctuation.
func relationWord(w string) string {
	return strings.ToLower(strings.Trim(w, ".,;:!?\"'“”‘’()"))
}

// relatives returns the relations a query names ("Where does Alice's sister live?" → "alice's
// sister"), as relativeSubject writes them, anywhere in the query.
func relatives(text string) []string {
	f := strings.Fields(text)
	var out []string
	for i := range f {
		if owner, rel, _, ok := relationAt(f, i); ok {
			out = append(out, owner+"'s "+rel)
		}
	}
	return out
}

// subjectName is the name a subject is written with in its text: the subject itself, or for a
// relation ("alice's sister") its owner.
func subjectName(subject string) string {
	if owner, _, ok := strings.Cut(subject, "'s "); ok {
		return owner
	}
	return subject
}

// determiners open a sentence whose subject is a common noun phrase ("The nightly backup of the
// vault runs at 02:00", "A new endpoint serves the API").
var determiners = setOf(`the a an this that these those each every`)

// timeNouns after a determiner make a time adverbial ("This week", "These days"), not a subject.
var timeNouns = setOf(`day days week weeks weekend morning afternoon evening night year years month months
time times season summer winter spring autumn fall quarter sprint`)

// ownerWords join a noun phrase to what it belongs to: "the rate limit of the session store",
// "the base image for the search indexer", "the rate limit on the SMS gateway".
var ownerWords = setOf(`of for on`)

// commonNounSubject reports whether text opens (past its openers) with a determiner: its subject
// is then a thing named by a noun phrase, which it returns by its first word, as a key's subject
// is ("northwind-logistics" → "northwind"). When the phrase belongs to something (a possessive,
// or "of", "for", "on" within the first few words) the owner is the subject: "The head office of
// Northwind is in Lisbon" and "Northwind's head office is in Lisbon" are about Northwind, "The
// pricing engine's backup moved to 02:30" and "The backup of the pricing engine runs at 01:00"
// about the pricing engine. A name later in the sentence is an object ("The webhook dispatcher
// belongs to team Orion").
func commonNounSubject(text string) (subject string, ok bool) {
	sents := textproc.Sentences(dropOpeners(text))
	if len(sents) == 0 {
		return "", false
	}
	f := strings.Fields(sents[0])
	if len(f) < 3 || !determiners[strings.ToLower(f[0])] {
		return "", false
	}
	if second := strings.ToLower(strings.Trim(f[1], ",;:")); timeNouns[second] || notNames[second] || textproc.IsStop(second) {
		// "These days Alice's home is in Rome": a time, not the subject; "This is Alice's
		// phone": no noun phrase.
		return "", false
	}
	for i := 1; i < min(len(f)-1, maxOwnerWord); i++ {
		w := strings.ToLower(f[i])
		if ownerWords[w] && i > 1 && ownerAfter(f[i-1], w) {
			j := i + 1
			if determiners[strings.ToLower(f[j])] && j+1 < len(f) {
				j++
			}
			return phraseWord(f[j]), true
		}
		if strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "’s") {
			return phraseWord(f[1]), true
		}
		if strings.ContainsAny(w, ",;:") || i > 1 && textproc.HasDigit(w) {
			break // a clause ends the noun phrase, and so does a quantity: "… got 512 MiB of RAM"
		}
	}
	return phraseWord(f[1]), true
}

// ownerAfter reports whether the owner word w after prev joins two noun phrases ("limit on",
// "office of") rather than follows a verb ("runs on", "is for"): prev is no function word, and
// before "on", which verbs take most, not a word ending in -s.
func ownerAfter(prev, w string) bool {
	p := strings.ToLower(strings.Trim(prev, ",;:"))
	if textproc.IsStop(p) {
		return false
	}
	return w != "on" || !strings.HasSuffix(p, "s")
}

// phraseWord is a word of a noun phrase as a subject: lower-case, without punctuation or a
// possessive.
func phraseWord(w string) string {
	w = strings.ToLower(strings.Trim(w, ".,;:!?\"'“”‘’()[]"))
	for _, suf := range []string{"'s", "’s"} {
		w = strings.TrimSuffix(w, suf)
	}
	return w
}

// maxOwnerWord is how far into a sentence the owner of its subject's phrase may be named.
const maxOwnerWord = 8

// DenseText is the text whose embedding stands for a memory (or a query) in dense retrieval:
// the text without its subject's name, followed by the attribute its key names ("alice/city"
// → "city"). The subject is scored on its own (the subject term), so relevance should measure
// what is said, not who it is said about: a rare name otherwise dominates a short text's
// embedding and makes every memory about one person look alike. Text that is only a name is
// kept as it is.
func DenseText(key, text string) string {
	subject := subjectName(SubjectOf(key, text))
	out := text
	if subject != "" {
		var kept []string
		for _, w := range strings.Fields(text) {
			core := strings.ToLower(strings.Trim(w, ".,;:!?\"()[]"))
			for _, suf := range []string{"'s", "’s"} {
				core = strings.TrimSuffix(core, suf)
			}
			if core == subject {
				continue
			}
			kept = append(kept, w)
		}
		if len(kept) > 0 {
			out = strings.Join(kept, " ")
		}
	}
	// Kept as it was written when the stored vectors were made (only "_" becomes a space), so
	// that passages embedded before and after agree.
	if _, attr, ok := strings.Cut(key, "/"); ok && attr != "" {
		out += " (" + strings.ReplaceAll(attr, "_", " ") + ")"
	}
	return out
}

// KeyAttribute returns, in words, the attribute a key names after its subject: "alice/city" →
// "city", "user/favourite_food" → "favourite food"; "" for a key without one.
func KeyAttribute(key string) string {
	_, attr, ok := strings.Cut(key, "/")
	if !ok {
		return ""
	}
	return strings.Join(strings.Fields(strings.NewReplacer("_", " ", "/", " ").Replace(attr)), " ")
}

// IsUtterance reports whether a memory records what someone said ("Name: text"), as a
// conversation transcript does. A record of what was said stays true as a record: utterances do
// not compete for a slot and do not supersede one another, however alike they are.
func IsUtterance(text string) bool {
	head, _, ok := strings.Cut(text, ": ")
	if !ok || len(head) > 40 || len(strings.Fields(head)) > 3 || labels[strings.ToLower(strings.TrimSpace(head))] {
		return false
	}
	return len(Entities(head)) > 0
}
