package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/memsvc/memsvc/api"
	"github.com/memsvc/memsvc/pager"
)

// server is an in-process memsvc, wired from the public packages as cmd/memsvc wires it: the
// stores, a pager service running its background work, and the HTTP API on 127.0.0.1:0.
type server struct {
	URL    string
	env    *env
	svc    *pager.Service
	http   *http.Server
	served chan error
}

func startServer(ctx context.Context, c *Common) (*server, error) {
	e, err := openEnv(ctx, c.Store, c.Embedder, c.Logger)
	if err != nil {
		return nil, err
	}
	s := &server{env: e}
	var srv *api.Server
	pc := e.config(nil)
	pc.OnEvent = func(agentID string, ev pager.Event) { srv.RecordEvent(agentID, ev) }
	if s.svc, err = pager.New(pc); err != nil {
		return nil, errors.Join(err, e.close())
	}
	srv = api.New(api.Config{Memory: s.svc, Idempotency: e.stores.State, Logger: c.Logger, Ready: e.stores.Ping})
	if err := s.svc.Start(ctx); err != nil {
		return nil, errors.Join(err, e.close())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.svc.Stop()
		return nil, errors.Join(fmt.Errorf("bench: listen: %w", err), e.close())
	}
	s.URL = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	s.served = make(chan error, 1)
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// close drains HTTP, stops the background work and closes the stores.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	errs := []error{s.http.Shutdown(ctx)}
	if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	s.svc.Stop()
	errs = append(errs, s.env.close())
	return errors.Join(errs...)
}
