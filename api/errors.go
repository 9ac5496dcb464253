package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

// errUnavailable is the kind of an error that answers 503: a store is unreachable.
var errUnavailable = errors.New("unavailable")

// errIdempotencyMismatch is the kind of a repeat of an Idempotency-Key with another request (422).
var errIdempotencyMismatch = errors.New("idempotency mismatch")

// fail returns an error of kind whose message is safe to show to the caller.
func fail(kind error, format string, args ...any) error {
	return &pager.Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// errorBody is the shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorKinds maps errors to answers, first match wins. Msg is used when the error carries no
// caller-safe message (it is not a *pager.Error).
var errorKinds = []struct {
	err    error
	status int
	code   string
	msg    string
}{
	{pager.ErrInvalidArgument, http.StatusBadRequest, "invalid_argument", "the request is not valid"},
	{pager.ErrNotFound, http.StatusNotFound, "not_found", "the resource does not exist"},
	{pager.ErrReadOnly, http.StatusForbidden, "permission_denied", "the resource is read-only"},
	{pager.ErrPermissionDenied, http.StatusForbidden, "permission_denied", "the agent's permissions deny this"},
	{errUnauthenticated, http.StatusUnauthorized, "unauthenticated", "a valid API key is required"},
	{errRateLimited, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later"},
	{auth.ErrInvalid, http.StatusBadRequest, "invalid_argument", "the request is not valid"},
	{pager.ErrConflict, http.StatusConflict, "conflict", "the request conflicts with the current state"},
	{pager.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "the request is too large"},
	{errIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency_mismatch", "the Idempotency-Key was used for another request"},
	{pager.ErrUnprocessable, http.StatusUnprocessableEntity, "unprocessable", "the request cannot be applied"},
	{errUnavailable, http.StatusServiceUnavailable, "unavailable", "the service is unavailable"},
	{state.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the store is unavailable; retry later"},
	{archival.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the archival store is unavailable; retry later"},
	{state.ErrNotFound, http.StatusNotFound, "not_found", "the resource does not exist"},
	{state.ErrConflict, http.StatusConflict, "conflict", "the request conflicts with the current state"},
	{state.ErrInvalid, http.StatusBadRequest, "invalid_argument", "the request is not valid"},
	{archival.ErrNotFound, http.StatusNotFound, "not_found", "the resource does not exist"},
	{archival.ErrInvalid, http.StatusBadRequest, "invalid_argument", "the request is not valid"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "unavailable", "the request did not finish in time"},
	{context.Canceled, http.StatusServiceUnavailable, "unavailable", "the request was cancelled"},
}

// statusCodes names the code of an echo.HTTPError's status (routing errors).
var statusCodes = map[int]string{
	http.StatusBadRequest:            "invalid_argument",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "permission_denied",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "invalid_argument",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnprocessableEntity:   "unprocessable",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "unavailable",
}

// classify turns err into a status and an error body whose message is safe to show.
func classify(err error, c echo.Context) (int, errorDetail) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code, ok := statusCodes[he.Code]
		if !ok {
			return http.StatusInternalServerError, errorDetail{"internal", "internal error"}
		}
		r := c.Request()
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, errorDetail{code, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)}
		case http.StatusMethodNotAllowed:
			return he.Code, errorDetail{code, fmt.Sprintf("method %s is not allowed on %s; allowed: %s",
				r.Method, r.URL.Path, c.Response().Header().Get(echo.HeaderAllow))}
		}
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = http.StatusText(he.Code)
		}
		return he.Code, errorDetail{code, msg}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, errorDetail{"too_large", fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
	}
	for _, k := range errorKinds {
		if !errors.Is(err, k.err) {
			continue
		}
		msg := k.msg
		var pe *pager.Error
		if errors.As(err, &pe) && pe.Msg != "" {
			msg = pe.Msg
		}
		return k.status, errorDetail{k.code, msg}
	}
	return http.StatusInternalServerError, errorDetail{"internal", "internal error"}
}

// handleError is the server's only echo HTTPErrorHandler: every error answer is written here.
func (s *Server) handleError(err error, c echo.Context) {
	r := c.Request()
	attrs := []any{"method", r.Method, "path", r.URL.Path, "route", c.Path(), "err", err}
	if c.Response().Committed {
		s.log.Error("api: error after the answer was sent", attrs...)
		return
	}
	status, detail := classify(err, c)
	switch {
	case errors.Is(err, context.Canceled):
		s.log.Debug("api: request cancelled", attrs...)
	case status >= 500 && errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("api: request timed out", attrs...)
	case status >= 500:
		s.log.Error("api: internal error", append(attrs, "status", status)...)
	default:
		s.log.Debug("api: request refused", "method", r.Method, "path", r.URL.Path, "route", c.Path(),
			"status", status, "code", detail.Code, "message", detail.Message)
	}
	if r.Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, errorBody{detail})
	}
	if err != nil {
		s.log.Error("api: write the error answer", "err", err)
	}
}
