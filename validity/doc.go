// Package validity scores retrieved memories on relevance, recency and validity, and penalizes
// distractors about the wrong subject. It is pure (the standard library and textproc, the shared
// text pipeline): time is injected through Query.Now, and nothing here logs or does I/O.
//
// A memory can be wrong in two ways that relevance alone cannot see: it was true once and has
// been replaced ("lives in Paris" after "moved to Berlin"), or it is about someone else ("Bob
// lives in Lisbon" for "where does Alice live?"). Rank multiplies the fused relevance by four
// factors in [0, 1], each of the form 1 - w·(1 - term), so a weight of 0 turns a term off and a
// weight of 1 applies it fully:
//
//   - validity: 1 for a valid memory, 0 for a superseded, invalidated or expired one, and
//     1 - Softness·confidence for one that is only possibly superseded;
//   - recency: applied only among memories shown to compete for one slot: the same key; or,
//     without a key, short single statements about one named subject (MayCompareWhole) that
//     fall into one slot: slotGroups clusters each subject's by average linkage of their
//     cosines down to GroupCosine, so that one chance likeness between two slots does not join
//     them; the newest of a slot scores 1 and older ones decay with HalfLife. Memories
//     without competitors are not touched, because evidence spread evenly through time (as in
//     long conversations) must not be pushed down for being old. Longer memories (messages)
//     compete only on sentence-level evidence (slot.go): a near-duplicate of the older one that
//     answers the query with a changed value moves up to just above it; two that answer it with
//     opposite polarity are contradictions, marked (Result.Conflicts) and shown together;
//   - subject: 1 when the memory is about a subject the query names (or either names none),
//     lower when it is about another one. A name's relation to a person is another subject
//     ("Alice's sister lives in Paris" is the sister's, unless the query names her);
//   - predicate: how much of what the query asks about its subject the memory says. The
//     query's content words other than names, stemmed and weighted by their rarity among the
//     candidates, are looked up in the memory's words and in its key's attribute ("alice/city"
//     → "city"), never in other subjects' memories. A keyed memory also matches, up to AttributeShare, by the
//     cosine of its attribute to the query when the caller provides it. Without keys, the
//     statements of the slot group whose member is nearest the query (Candidate.QueryCosine)
//     among the asked subject's match at least AttributeShare (askedSlot). Subject and predicate
//     together tell "Alice drives a Volvo" (the right subject, another attribute) from "Alice
//     lives in Rome" for "Where does Alice live?".
package validity
