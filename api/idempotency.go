package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/retry"
	"github.com/memsvc/memsvc/state"
)

// Idempotency keys and their answers.
const (
	HeaderIdempotencyKey     = "Idempotency-Key"
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	MaxIdempotencyKeyBytes   = 255
	maxIdempotentAnswerBytes = 8 << 20
)

// Idempotency keeps Idempotency-Keys and their answers (the state stores implement it). The API
// scopes each key by tenant before it calls these, so a store treats keys as opaque.
type Idempotency = state.IdempotencyStore

// Idempotency-Key retention and waiting: a key counts for IdempotencyTTL after it was claimed
// (Config.IdempotencyTTL, 24 h by default) and is pruned after that; a claim left unanswered for
// idempotencyLease is taken to be abandoned (its process died mid-write) and may be claimed
// again; a repeat waits up to idempotencyWait for a first request still running elsewhere.
const (
	DefaultIdempotencyTTL = 24 * time.Hour
	idempotencyLease      = 2 * time.Minute
	idempotencyWait       = 30 * time.Second
	idempotencyPoll       = 25 * time.Millisecond
)

// idempotency runs a write that carries an Idempotency-Key at most once per key, across every
// process sharing the store, and answers its repeats with the first answer:
//
//  1. The key is bound to the request: the SHA-256 of its method, path and body. A repeat of the
//     key with another request is refused with 422 idempotency_mismatch.
//  2. The key is claimed in the store before the write runs. A repeat that finds the answer
//     stored replays it; one that finds the first request still running (in this process or
//     another) waits for its answer, and answers 409 if it does not come in time.
//  3. A 2xx answer is stored; any other answer releases the claim, so a retry runs again.
//
// Keys expire after the TTL and are pruned, at most once an hour, by the request that notices.
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
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err // the body limit's error (413) or a broken connection
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
		h.Write(body)
		fp := hex.EncodeToString(h.Sum(nil))
		// Scoped by tenant: another tenant's request with the same key is another request.
		key := tenantOf(c) + " " + vals[0]
		unlock, err := s.keys.lock(ctx, key)
		if err != nil {
			return err
		}
		defer unlock()
		s.pruneIdempotency()

		deadline := time.Now().Add(idempotencyWait)
		for {
			now := time.Now()
			prev, claimed, err := s.cfg.Idempotency.ClaimIdempotency(ctx, key, fp, now, now.Add(-s.idempotencyTTL()), now.Add(-idempotencyLease))
			if err != nil {
				return err
			}
			if claimed {
				break
			}
			if prev.Status >= 0 && prev.Fingerprint != fp {
				return fail(errIdempotencyMismatch, "%s %q was used for another request (method, path or body differ); use a new key for a new request",
					HeaderIdempotencyKey, vals[0])
			}
			if prev.Status > 0 {
				c.Response().Header().Set(HeaderIdempotentReplayed, "true")
				if len(prev.Body) == 0 {
					return c.NoContent(prev.Status)
				}
				return c.JSONBlob(prev.Status, prev.Body)
			}
			if prev.Status == 0 && now.After(deadline) {
				return fail(pager.ErrConflict, "a request with %s %q is still running; retry later", HeaderIdempotencyKey, vals[0])
			}
			if prev.Status == 0 {
				if err := retry.Sleep(ctx, idempotencyPoll); err != nil {
					return err
				}
			}
		}

		w := &captureWriter{ResponseWriter: c.Response().Writer, limit: maxIdempotentAnswerBytes}
		c.Response().Writer = w
		err = next(c)
		status := c.Response().Status
		// What follows runs whatever ctx does now: the write's outcome is decided.
		done := context.WithoutCancel(ctx)
		switch {
		case err != nil || status < 200 || status > 299:
			if rerr := s.cfg.Idempotency.ReleaseIdempotency(done, key); rerr != nil {
				s.log.Error("api: release an idempotency key", "key", key, "err", rerr)
			}
		case w.overflow:
			s.log.Warn("api: answer too large to store for idempotency", "key", key, "bytes", w.size)
			if rerr := s.cfg.Idempotency.ReleaseIdempotency(done, key); rerr != nil {
				s.log.Error("api: release an idempotency key", "key", key, "err", rerr)
			}
		default:
			if cerr := s.cfg.Idempotency.CompleteIdempotency(done, key, status, append([]byte{}, w.buf.Bytes()...)); cerr != nil {
				// The write is done and answered; a repeat after the lease runs it again.
				s.log.Error("api: store an idempotent answer", "key", key, "err", cerr)
			}
		}
		return err
	}
}

func (s *Server) idempotencyTTL() time.Duration {
	if s.cfg.IdempotencyTTL > 0 {
		return s.cfg.IdempotencyTTL
	}
	return DefaultIdempotencyTTL
}

// pruneIdempotency deletes expired keys in the background, at most once an hour per process.
func (s *Server) pruneIdempotency() {
	now := time.Now()
	last := s.lastPrune.Load()
	if now.UnixNano()-last < int64(time.Hour) || !s.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	go func() {
		n, err := s.cfg.Idempotency.PruneIdempotency(context.Background(), now.Add(-s.idempotencyTTL()))
		if err != nil {
			s.log.Warn("api: prune idempotency keys", "err", err)
			return
		}
		s.log.Debug("api: pruned idempotency keys", "n", n)
	}()
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
