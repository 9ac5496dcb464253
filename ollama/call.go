package ollama

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/ollama/ollama/api"

	"github.com/memsvc/memsvc/retry"
)

// call runs one request with the retry policy: each attempt bounded by Timeout, transient
// failures retried with backoff. op names the request in errors ("embed", "chat").
func (c *Config) call(ctx context.Context, op string, attempt func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for n := 0; ; n++ {
		actx, cancel := context.WithTimeout(ctx, c.Timeout)
		err := attempt(actx)
		timedOut := actx.Err() != nil
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se api.StatusError
		isStatus := errors.As(err, &se)
		switch {
		case isStatus && se.StatusCode == http.StatusNotFound:
			return &ModelNotFoundError{Model: c.Model, URL: c.URL, Msg: se.ErrorMessage}
		case isStatus && !transientStatus(se.StatusCode):
			return fmt.Errorf("ollama: %s with model %q at %s: %w", op, c.Model, c.URL, err)
		case !isStatus && !timedOut && !transientErr(err):
			return fmt.Errorf("ollama: %s with model %q at %s: %w", op, c.Model, c.URL, err)
		}
		if timedOut {
			err = fmt.Errorf("no answer within %v (Config.Timeout): %w", c.Timeout, err)
		}
		if n >= c.Retries {
			if isStatus {
				return fmt.Errorf("ollama: %s with model %q at %s failed after %d attempts: %w: %w",
					op, c.Model, c.URL, n+1, ErrUnavailable, err)
			}
			return fmt.Errorf("ollama: cannot reach the Ollama server at %s (is `ollama serve` running?) after %d attempts: %w: %w",
				c.URL, n+1, ErrUnavailable, err)
		}
		wait := retry.Delay(c.Backoff, n)
		c.Logger.WarnContext(ctx, "ollama: retrying", "op", op, "url", c.URL, "model", c.Model,
			"attempt", n+1, "wait", wait, "err", err)
		if err := retry.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// transientStatus reports whether an HTTP status is worth retrying: 5xx (Ollama answers 503
// when its queue is full, 500 when a runner crashed), 429, and 408.
func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// transientErr reports whether a transport error is worth retrying: the connection could not be
// made or broke off.
func transientErr(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
