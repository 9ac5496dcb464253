package ollamatest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ollama/ollama/api"
)

// CreateFromDir imports the model folder dir (safetensors, config and tokenizer files, nested
// ones such as 1_Pooling/config.json included) as model name: it uploads each file with
// POST /api/blobs/sha256:<digest> and then names them, by their slash-separated paths, in
// POST /api/create. (The CLI's `ollama create -f` would flatten nested paths.) template, if not
// empty, becomes the model's chat template.
func (s *Server) CreateFromDir(ctx context.Context, name, dir, template string) error {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		digest, err := s.uploadBlob(ctx, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = digest
		return nil
	})
	if err != nil {
		return err
	}
	stream := false
	req := &api.CreateRequest{Model: name, Files: files, Template: template, Stream: &stream}
	if err := s.Client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return fmt.Errorf("ollamatest: create %s from %s: %w; server log:\n%s", name, dir, err, s.LogTail(3000))
	}
	return nil
}

// uploadBlob sends one file to the server and returns its digest.
func (s *Server) uploadBlob(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := s.Client.CreateBlob(ctx, digest, f); err != nil {
		return "", fmt.Errorf("ollamatest: upload %s: %w", path, err)
	}
	return digest, nil
}

// CreateEmbedModel generates a synthetic BERT (see [WriteBert]) and imports it as name; it serves
// /api/embed with spec.Hidden-dimensional vectors.
func (s *Server) CreateEmbedModel(ctx context.Context, name string, spec BertSpec) error {
	dir, err := os.MkdirTemp(s.dir, "bert-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteBert(dir, spec); err != nil {
		return err
	}
	return s.CreateFromDir(ctx, name, dir, "")
}

// CreateChatModel generates a synthetic Llama (see [WriteLlama]) and imports it as name, with
// [ChatTemplate]; it serves /api/chat and /api/generate with random text.
func (s *Server) CreateChatModel(ctx context.Context, name string, spec LlamaSpec) error {
	dir, err := os.MkdirTemp(s.dir, "llama-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteLlama(dir, spec); err != nil {
		return err
	}
	return s.CreateFromDir(ctx, name, dir, ChatTemplate)
}
