// Package validity scores retrieved memories on relevance, recency and validity, and penalizes
// distractors about the wrong subject. It is pure (standard library only): time is injected
// through Query.Now, and nothing here logs or does I/O.
//
// A memory can be wrong in two ways that relevance alone cannot see: it was true once and has
// been replaced ("lives in Paris" after "moved to Berlin"), or it is about someone else ("Bob
// lives in Lisbon" for "where does Alice live?"). Rank multiplies the fused relevance by four
// factors in [0, 1], each of the form 1 - w·(1 - term), so a weight of 0 turns a term off and a
// weight of 1 applies it fully:
//
//   - validity: 1 for a valid memory, 0 for a superseded, invalidated or expired one, and
//     1 - Softness·confidence for one that is only possibly superseded;
//   - recency: applied only among memories that compete for one slot (the same subject, or the
//     same key, and similar content): the newest scores 1 and older ones decay with HalfLife.
//     Memories without competitors are not touched, because evidence spread evenly through
//     time (as in long conversations) must not be pushed down for being old;
//   - subject: 1 when the memory is about a subject the query names (or either names none),
//     lower when it is about another one;
//   - predicate: how much of what the query asks about its subject the memory says. The
//     query's content words other than names, stemmed and weighted by their rarity among the
//     candidates, are looked up in the memory's words and in its key's attribute ("alice/city"
//     → "city"). Memories whose keys name one attribute share their best word match (their
//     attribute's vocabulary), and a keyed memory also matches, up to AttributeShare, by the
//     cosine of its attribute to the query when the caller provides it. Subject and predicate
//     together tell "Alice drives a Volvo" (the right subject, another attribute) from "Alice
//     lives in Rome" for "Where does Alice live?".
package validity
