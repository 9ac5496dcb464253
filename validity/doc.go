// Package validity scores retrieved memories on relevance, recency and validity, and penalizes
// distractors about the wrong subject. It is pure (standard library only): time is injected
// through Query.Now, and nothing here logs or does I/O.
//
// A memory can be wrong in two ways that relevance alone cannot see: it was true once and has
// been replaced ("lives in Paris" after "moved to Berlin"), or it is about someone else ("Bob
// lives in Lisbon" for "where does Alice live?"). Rank multiplies the fused relevance by three
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
//     lower when it is about another one.
package validity
