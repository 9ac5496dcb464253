package ollamatest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// BertSpec shapes a synthetic BERT embedding model. Zero fields take the defaults given.
type BertSpec struct {
	Hidden       int    // embedding dimension; default 64
	Heads        int    // attention heads; default Hidden/16
	Layers       int    // default 2
	Intermediate int    // feed-forward width; default 2·Hidden
	MaxPositions int    // context length; default 512
	Seed         uint64 // of the random weights
}

func (s *BertSpec) defaults() {
	s.Hidden = cmpOr(s.Hidden, 64)
	s.Heads = cmpOr(s.Heads, max(1, s.Hidden/16))
	s.Layers = cmpOr(s.Layers, 2)
	s.Intermediate = cmpOr(s.Intermediate, 2*s.Hidden)
	s.MaxPositions = cmpOr(s.MaxPositions, 512)
}

// bertWords is the synthetic WordPiece vocabulary after the special tokens: whole words, single
// letters and digits, and "##" continuations, so any ASCII word tokenizes.
func bertWords() []string {
	words := strings.Fields(`the of and to a in is it you that he was for on are with as i his they be at
		one have this from or had by hot word but what some we can out other were all there when up use
		your how said an each she which do their time if will way about many then them write would like
		so these her long make thing see him two has look more day could go come did number sound no most
		people my over know water than call first who may down side been now find memory agent summary
		user assistant name trip passport allergic peanuts train . , ! ? ' : ; - ( )`)
	for c := 'a'; c <= 'z'; c++ {
		words = append(words, string(c), "##"+string(c))
	}
	for c := '0'; c <= '9'; c++ {
		words = append(words, string(c), "##"+string(c))
	}
	seen := make(map[string]bool, len(words))
	return slices.DeleteFunc(words, func(w string) bool {
		dup := seen[w]
		seen[w] = true
		return dup
	})
}

// WriteBert writes a random-weight BERT sentence-transformer into dir, in the layout Ollama's
// converter reads (convert/convert_bert.go): config.json (BertModel), model.safetensors,
// tokenizer.json (WordPiece) with vocab.txt and tokenizer_config.json, modules.json with a mean
// 1_Pooling/config.json and a Normalize module. Embeddings have spec.Hidden dimensions.
func WriteBert(dir string, spec BertSpec) error {
	spec.defaults()
	if spec.Hidden%spec.Heads != 0 {
		return fmt.Errorf("ollamatest: BERT hidden size %d is not a multiple of %d heads", spec.Hidden, spec.Heads)
	}
	specials := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	vocab := append(append([]string{}, specials...), bertWords()...)
	ids := make(map[string]int, len(vocab))
	for i, v := range vocab {
		ids[v] = i
	}
	var added []map[string]any
	for i, s := range specials {
		added = append(added, map[string]any{"id": i, "content": s, "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true})
	}
	h := spec.Hidden
	files := map[string]any{
		"config.json": map[string]any{
			"architectures": []string{"BertModel"}, "model_type": "bert", "vocab_size": len(vocab),
			"hidden_size": h, "num_hidden_layers": spec.Layers, "num_attention_heads": spec.Heads,
			"intermediate_size": spec.Intermediate, "max_position_embeddings": spec.MaxPositions,
			"type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu", "pad_token_id": 0,
			"torch_dtype": "float16",
		},
		"tokenizer.json": map[string]any{
			"version": "1.0", "added_tokens": added,
			"normalizer":    map[string]any{"type": "BertNormalizer", "lowercase": true, "clean_text": true},
			"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
			"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
				"max_input_chars_per_word": 100, "vocab": ids},
		},
		"tokenizer_config.json": map[string]any{
			"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
			"mask_token": "[MASK]", "do_lower_case": true, "model_max_length": spec.MaxPositions,
		},
		"modules.json": []map[string]any{
			{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
			{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
			{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
		},
		"1_Pooling/config.json": map[string]any{
			"word_embedding_dimension": h, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
			"pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false,
		},
	}
	if err := writeJSONFiles(dir, files); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(vocab, "\n")+"\n"), 0o644); err != nil {
		return err
	}

	w := newWeights(spec.Seed)
	w.random("embeddings.word_embeddings.weight", 0.02, len(vocab), h)
	w.random("embeddings.position_embeddings.weight", 0.02, spec.MaxPositions, h)
	w.random("embeddings.token_type_embeddings.weight", 0.02, 2, h)
	w.constant("embeddings.LayerNorm.weight", 1, h)
	w.constant("embeddings.LayerNorm.bias", 0, h)
	for i := range spec.Layers {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		for _, m := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			w.random(p+m+".weight", 0.02, h, h)
			w.constant(p+m+".bias", 0, h)
		}
		w.constant(p+"attention.output.LayerNorm.weight", 1, h)
		w.constant(p+"attention.output.LayerNorm.bias", 0, h)
		w.random(p+"intermediate.dense.weight", 0.02, spec.Intermediate, h)
		w.constant(p+"intermediate.dense.bias", 0, spec.Intermediate)
		w.random(p+"output.dense.weight", 0.02, h, spec.Intermediate)
		w.constant(p+"output.dense.bias", 0, h)
		w.constant(p+"output.LayerNorm.weight", 1, h)
		w.constant(p+"output.LayerNorm.bias", 0, h)
	}
	return writeSafetensors(filepath.Join(dir, "model.safetensors"), w.ts)
}

// writeJSONFiles writes each value as JSON at its slash-separated path under dir.
func writeJSONFiles(dir string, files map[string]any) error {
	for name, v := range files {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func cmpOr(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}
