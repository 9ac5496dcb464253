package ollama

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is an httptest Ollama that checks each request's method, path and body, records
// the bodies, and answers like Ollama does.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server
	dim int

	mu     sync.Mutex
	embeds []embedBody
	chats  []chatBody

	hits atomic.Int32
	// fail, if set, may answer instead (return true when it did); n counts requests from 1.
	fail func(w http.ResponseWriter, n int) bool
	// reply is the chat answer's content.
	reply string
}

type embedBody struct {
	Model   string         `json:"model"`
	Input   []string       `json:"input"`
	Options map[string]any `json:"options"`
}

type chatBody struct {
	Model    string `json:"model"`
	Stream   *bool  `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Options map[string]any  `json:"options"`
	Format  json.RawMessage `json:"format"`
}

func newFake(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, dim: 6, reply: "a summary"}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) config() Config {
	return Config{URL: f.srv.URL, Model: "fake-model", Backoff: time.Millisecond}
}

// setFail, setReply and setDim change the fake's behaviour; the handler reads them under mu.
func (f *fakeServer) setFail(fn func(w http.ResponseWriter, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func (f *fakeServer) setReply(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = s
}

func (f *fakeServer) setDim(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dim = d
}

// embedCalls and chatCalls return the bodies received so far.
func (f *fakeServer) embedCalls() []embedBody {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]embedBody(nil), f.embeds...)
}

func (f *fakeServer) chatCalls() []chatBody {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chatBody(nil), f.chats...)
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.hits.Add(1))
	f.mu.Lock()
	fail, dim, reply := f.fail, f.dim, f.reply
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		f.t.Errorf("%s %s, want POST", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q", ct)
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/embed":
		var b embedBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			f.t.Errorf("embed body: %v", err)
		}
		if fail != nil && fail(w, n) {
			return
		}
		f.mu.Lock()
		f.embeds = append(f.embeds, b)
		f.mu.Unlock()
		vecs := make([][]float32, len(b.Input))
		for i, s := range b.Input {
			vecs[i] = make([]float32, dim)
			vecs[i][0] = float32(len(s))
		}
		json.NewEncoder(w).Encode(map[string]any{"model": b.Model, "embeddings": vecs, "prompt_eval_count": 3})
	case "/api/chat":
		var b chatBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			f.t.Errorf("chat body: %v", err)
		}
		if b.Stream == nil || *b.Stream {
			f.t.Errorf("chat stream %v, want false", b.Stream)
		}
		if fail != nil && fail(w, n) {
			return
		}
		f.mu.Lock()
		f.chats = append(f.chats, b)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{
			"model": b.Model, "message": map[string]string{"role": "assistant", "content": reply},
			"done": true, "done_reason": "stop", "prompt_eval_count": 42, "eval_count": 7,
		})
	case "/api/show":
		if fail != nil && fail(w, n) {
			return
		}
		w.Write([]byte(`{"modelfile":"","details":{}}`))
	default:
		f.t.Errorf("unexpected path %s", r.URL.Path)
		http.NotFound(w, r)
	}
}

// notFound answers as Ollama does for a model it does not have.
func notFound(w http.ResponseWriter, _ int) bool {
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"error":"model 'fake-model' not found"}`))
	return true
}
