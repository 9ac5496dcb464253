// Package embed turns text into dense vectors for similarity search.
//
// # Contract
//
// An [Embedder] maps a batch of texts to one vector per text, in input
// order, each of length Dim(). Implementations are safe for concurrent use.
// Model() names the vector space; vectors are comparable (by cosine
// similarity) only when produced under the same Model() name, so stores
// record it next to every vector.
//
// Embed returns either a full result (len(texts) vectors) and a nil error,
// or a nil result and a non-nil error. When ctx is cancelled it stops
// between texts and returns ctx.Err().
//
// # Built-in embedder
//
// [Builtin] is the default, dependency-free embedder. It uses the 100,000
// most frequent lowercase words of GloVe 6B 100d (PDDL; see PROVENANCE.md),
// quantized to int8 and compiled into the binary (glove100k.bin, ~11 MB). A
// text is embedded as the SIF-weighted sum of the vectors of its in-vocabulary
// [Tokenize] tokens, L2-normalized; see [Builtin.Embed] for the details.
//
// Builtin vectors have unit L2 norm, except for texts with no known word
// (empty, punctuation-only, numbers-only, or non-English text), which get
// the zero vector. Callers must treat the cosine similarity of a zero vector
// with anything as 0 (not NaN). Embed never panics, whatever the text:
// empty, huge, or invalid UTF-8.
package embed
