package ollamatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
)

// Options configures [New].
type Options struct {
	// Bin is the ollama binary. Required.
	Bin string
	// Dir holds the server's models, home directory and log. If empty, New makes a temporary
	// directory and Close removes it.
	Dir string
	// Env adds variables to the server's environment (after the ones New sets), e.g.
	// "OLLAMA_NUM_PARALLEL=2".
	Env []string
	// StartTimeout bounds the wait for the server to answer. Default 60s.
	StartTimeout time.Duration
}

// Server is a running `ollama serve` on 127.0.0.1 with its own OLLAMA_MODELS directory.
type Server struct {
	URL    string      // e.g. http://127.0.0.1:41234
	Client *api.Client // for URL

	dir, logPath string
	ownDir       bool
	cmd          *exec.Cmd
	exited       chan struct{}
	closeOnce    sync.Once
	closeErr     error
}

// New starts `<Bin> serve` on a free 127.0.0.1 port, with OLLAMA_MODELS and HOME under Dir so
// it sees no other models or keys, and returns once it answers.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Bin == "" {
		return nil, errors.New("ollamatest: Options.Bin is required")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	s := &Server{dir: opts.Dir, exited: make(chan struct{})}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "memsvc-ollama-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownDir = d, true
	}
	port, err := freePort()
	if err != nil {
		s.removeDir()
		return nil, err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	s.URL = "http://" + host
	u, _ := url.Parse(s.URL)
	s.Client = api.NewClient(u, &http.Client{})
	for _, d := range []string{"models", "home"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			s.removeDir()
			return nil, err
		}
	}
	s.logPath = filepath.Join(s.dir, "ollama.log")
	logf, err := os.Create(s.logPath)
	if err != nil {
		s.removeDir()
		return nil, err
	}
	defer logf.Close() // the child has its own copy

	s.cmd = exec.Command(opts.Bin, "serve")
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(serverEnv(), "OLLAMA_HOST="+host, "OLLAMA_MODELS="+filepath.Join(s.dir, "models"),
		"HOME="+filepath.Join(s.dir, "home"), "OLLAMA_NOPRUNE=1", "OLLAMA_KEEP_ALIVE=10m")
	s.cmd.Env = append(s.cmd.Env, opts.Env...)
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		s.removeDir()
		return nil, fmt.Errorf("ollamatest: start %s serve: %w", opts.Bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()

	wctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	for {
		if err := s.Client.Heartbeat(wctx); err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			err := fmt.Errorf("ollamatest: ollama serve exited (%v); log:\n%s", s.cmd.ProcessState, s.LogTail(4000))
			s.Close()
			return nil, err
		case <-wctx.Done():
			err := fmt.Errorf("ollamatest: ollama serve did not answer on %s within %v; log:\n%s", s.URL, opts.StartTimeout, s.LogTail(4000))
			s.Close()
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serverEnv is this process's environment without OLLAMA_* variables and HOME.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OLLAMA_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// LogTail returns the last n bytes of the server's log.
func (s *Server) LogTail(n int) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > n {
		data = data[len(data)-n:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return string(data)
}

// Close stops the server (SIGTERM, then SIGKILL to its process group after 10s, so its model
// runners go too) and removes Dir if New made it. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				killGroup(s.cmd.Process.Pid)
				<-s.exited
			}
			killGroup(s.cmd.Process.Pid) // runners left behind, if any
		}
		s.closeErr = s.removeDir()
	})
	return s.closeErr
}

func (s *Server) removeDir() error {
	if !s.ownDir {
		return nil
	}
	return os.RemoveAll(s.dir)
}
