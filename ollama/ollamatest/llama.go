package ollamatest

import (
	"fmt"
	"path/filepath"
	"strings"
)

// LlamaSpec shapes a synthetic Llama chat model. Zero fields take the defaults given.
type LlamaSpec struct {
	Hidden        int    // default 64
	Heads         int    // default Hidden/16
	KVHeads       int    // default Heads/2 (grouped-query attention), at least 1
	Layers        int    // default 2
	Intermediate  int    // default 2·Hidden
	ContextLength int    // default 2048
	Seed          uint64 // of the random weights
}

func (s *LlamaSpec) defaults() {
	s.Hidden = cmpOr(s.Hidden, 64)
	s.Heads = cmpOr(s.Heads, max(1, s.Hidden/16))
	s.KVHeads = cmpOr(s.KVHeads, max(1, s.Heads/2))
	s.Layers = cmpOr(s.Layers, 2)
	s.Intermediate = cmpOr(s.Intermediate, 2*s.Hidden)
	s.ContextLength = cmpOr(s.ContextLength, 2048)
}

// ChatTemplate is the Go template CreateChatModel gives the synthetic Llama.
const ChatTemplate = `{{- range .Messages }}<|{{ .Role }}|>
{{ .Content }}
{{ end }}<|assistant|>
`

// llamaMerges are the byte-level BPE merges of the synthetic Llama, in GPT-2's byte-to-unicode
// alphabet ("Ġ" is the space). Each result is in the vocabulary, and later merges build on
// earlier ones.
var llamaMerges = []string{
	"Ġ t", "h e", "Ġ a", "i n", "Ġt he", "e r", "o n", "r e", "Ġ s", "a t", "e n", "o r",
	"Ġ m", "Ġ w", "Ġa n", "Ġan d", "i s", "Ġ is", "Ġ o", "Ġo f",
}

// byteToUnicode is GPT-2's map from bytes to printable runes, which byte-level BPE vocabularies
// are written in: printable Latin-1 bytes map to themselves, the others to U+0100 onwards.
func byteToUnicode() [256]rune {
	var m [256]rune
	n := 0
	for b := range 256 {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE {
			m[b] = rune(b)
		} else {
			m[b] = rune(256 + n)
			n++
		}
	}
	return m
}

// WriteLlama writes a random-weight Llama into dir, in the layout Ollama's converter reads
// (convert/convert_llama.go, convert/tokenizer.go): config.json (LlamaForCausalLM),
// model.safetensors, a byte-level BPE tokenizer.json (all 256 byte tokens, llamaMerges, and
// <|bos|>/<|eos|> added tokens) and tokenizer_config.json naming the special tokens. Its output
// is random text.
func WriteLlama(dir string, spec LlamaSpec) error {
	spec.defaults()
	if spec.Hidden%spec.Heads != 0 || spec.Heads%spec.KVHeads != 0 {
		return fmt.Errorf("ollamatest: Llama hidden %d, heads %d, KV heads %d do not divide", spec.Hidden, spec.Heads, spec.KVHeads)
	}
	b2u := byteToUnicode()
	vocab := map[string]int{}
	var tokens []string
	addToken := func(t string) {
		if _, ok := vocab[t]; !ok {
			vocab[t] = len(tokens)
			tokens = append(tokens, t)
		}
	}
	for b := range 256 {
		addToken(string(b2u[b]))
	}
	for _, m := range llamaMerges {
		a, b, _ := strings.Cut(m, " ")
		if _, ok := vocab[a]; !ok {
			return fmt.Errorf("ollamatest: merge %q: %q is not a token", m, a)
		}
		if _, ok := vocab[b]; !ok {
			return fmt.Errorf("ollamatest: merge %q: %q is not a token", m, b)
		}
		addToken(a + b)
	}
	bos, eos := len(tokens), len(tokens)+1
	nVocab := len(tokens) + 2
	added := []map[string]any{
		{"id": bos, "content": "<|bos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
		{"id": eos, "content": "<|eos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	}
	h, headDim := spec.Hidden, spec.Hidden/spec.Heads
	files := map[string]any{
		"config.json": map[string]any{
			"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "vocab_size": nVocab,
			"hidden_size": h, "intermediate_size": spec.Intermediate, "num_hidden_layers": spec.Layers,
			"num_attention_heads": spec.Heads, "num_key_value_heads": spec.KVHeads,
			"max_position_embeddings": spec.ContextLength, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
			"hidden_act": "silu", "tie_word_embeddings": false, "bos_token_id": bos, "eos_token_id": eos,
			"torch_dtype": "float16",
		},
		"tokenizer.json": map[string]any{
			"version": "1.0", "added_tokens": added,
			"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
			"decoder":       map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
			"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "fuse_unk": false,
				"byte_fallback": false, "vocab": vocab, "merges": llamaMerges},
		},
		"tokenizer_config.json": map[string]any{
			"bos_token": "<|bos|>", "eos_token": "<|eos|>", "add_bos_token": true, "add_eos_token": false,
			"model_max_length": spec.ContextLength,
		},
		"generation_config.json": map[string]any{"bos_token_id": bos, "eos_token_id": eos},
	}
	if err := writeJSONFiles(dir, files); err != nil {
		return err
	}

	w := newWeights(spec.Seed)
	w.random("model.embed_tokens.weight", 0.02, nVocab, h)
	for i := range spec.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		w.constant(p+"input_layernorm.weight", 1, h)
		w.random(p+"self_attn.q_proj.weight", 0.02, spec.Heads*headDim, h)
		w.random(p+"self_attn.k_proj.weight", 0.02, spec.KVHeads*headDim, h)
		w.random(p+"self_attn.v_proj.weight", 0.02, spec.KVHeads*headDim, h)
		w.random(p+"self_attn.o_proj.weight", 0.02, h, spec.Heads*headDim)
		w.constant(p+"post_attention_layernorm.weight", 1, h)
		w.random(p+"mlp.gate_proj.weight", 0.02, spec.Intermediate, h)
		w.random(p+"mlp.up_proj.weight", 0.02, spec.Intermediate, h)
		w.random(p+"mlp.down_proj.weight", 0.02, h, spec.Intermediate)
	}
	w.constant("model.norm.weight", 1, h)
	// Larger output weights make the random next-token distribution less flat. The rows of
	// <|bos|> and <|eos|> are zero: their logit is 0 while the others spread wide, so the model
	// (almost) never ends early, and generation runs to num_predict or the caller's deadline.
	w.random("lm_head.weight", 0.5, nVocab, h)
	w.zeroRows("lm_head.weight", bos, eos)
	return writeSafetensors(filepath.Join(dir, "model.safetensors"), w.ts)
}
