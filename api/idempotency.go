package api

import (
	"bytes"
	"context"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
)

// Idempotency keys and their answers.
const (
	HeaderIdempotencyKey     = "Idempotency-Key"
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	MaxIdempotencyKeyBytes   = 255
	maxIdempotentAnswerBytes = 8 << 20
)

// Idempotency stores the answers to writes by idempotency key. The API scopes each key by tenant,
// method and path before it calls these, so a store treats keys as opaque.
type Idempotency interface {
	// Lookup returns the stored answer for key; ok is false when there is none.
	Lookup(ctx context.Context, key string) (status int, body []byte, ok bool, err error)
	// Save stores the answer for key. The API saves only 2xx answers.
	Save(ctx context.Context, key string, status int, body []byte) error
}

// idempotency replays the stored answer of a write whose Idempotency-Key was seen before, and
// stores the answer of a first write that succeeded. Repeats of one key inside this process wait
// for the first to finish, so they replay its answer rather than run twice.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		vals, present := r.Header[http.CanonicalHeaderKey(HeaderIdempotencyKey)]
		if s.cfg.Idempotency == nil || !present || !isWrite(r.Method) {
			return next(c)
		}
		if len(vals) != 1 || vals[0] == "" || len(vals[0]) > MaxIdempotencyKeyBytes {
			return fail(pager.ErrInvalidArgument, "%s must be one value of 1 to %d bytes", HeaderIdempotencyKey, MaxIdempotencyKeyBytes)
		}
		ctx := r.Context()
		// Scoped by tenant: another tenant's request with the same key is another request.
		key := tenantOf(c) + " " + r.Method + " " + r.URL.Path + " " + vals[0]
		unlock, err := s.keys.lock(ctx, key)
		if err != nil {
			return err
		}
		defer unlock()

		status, body, ok, err := s.cfg.Idempotency.Lookup(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			c.Response().Header().Set(HeaderIdempotentReplayed, "true")
			if len(body) == 0 {
				return c.NoContent(status)
			}
			return c.JSONBlob(status, body)
		}

		w := &captureWriter{ResponseWriter: c.Response().Writer, limit: maxIdempotentAnswerBytes}
		c.Response().Writer = w
		if err := next(c); err != nil {
			return err // errors are not 2xx: nothing to save
		}
		status = c.Response().Status
		switch {
		case status < 200 || status > 299:
		case w.overflow:
			s.log.Warn("api: answer too large to store for idempotency", "key", key, "bytes", w.size)
		default:
			if err := s.cfg.Idempotency.Save(ctx, key, status, append([]byte{}, w.buf.Bytes()...)); err != nil {
				// The write is done and answered; a repeat will run it again.
				s.log.Error("api: save an idempotent answer", "key", key, "err", err)
			}
		}
		return nil
	}
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// captureWriter copies what a handler writes, up to limit bytes.
type captureWriter struct {
	http.ResponseWriter
	buf      bytes.Buffer
	limit    int
	size     int
	overflow bool
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.size += len(b)
	if !w.overflow {
		if w.size > w.limit {
			w.overflow = true
			w.buf.Reset()
		} else {
			w.buf.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// keyLocks serializes requests that carry the same key. The zero value is ready to use.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sem  chan struct{}
	refs int
}

// lock waits until no other holder has key, or ctx is done, and returns the function to release it.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{sem: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
