package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/pager"
)

// decode reads the request body into v, strictly: at most limit bytes, a JSON Content-Type, one
// JSON object with no unknown fields and nothing after it. Its errors are caller-safe and name the
// offending field or byte offset.
func decode(c echo.Context, limit int64, v any) error {
	r := c.Request()
	if r.ContentLength > limit {
		return fail(pager.ErrTooLarge, "request body is larger than %d bytes", limit)
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return fail(pager.ErrTooLarge, "request body is larger than %d bytes", limit)
	case err != nil:
		return fmt.Errorf("api: read the request body: %w", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return fail(pager.ErrInvalidArgument, "request body is empty; send a JSON object")
	}
	if err := checkJSONContentType(r.Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	if trimmed[0] != '{' {
		return fail(pager.ErrInvalidArgument, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, len(data))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fail(pager.ErrInvalidArgument, "request body has data after the JSON object, at byte offset %d", end)
	}
	return nil
}

func checkJSONContentType(ct string) error {
	if ct == "" {
		return fail(pager.ErrInvalidArgument, "Content-Type must be application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return fail(pager.ErrInvalidArgument, "Content-Type must be application/json, got %q", ct)
	}
	return nil
}

// decodeError explains a json.Decoder error to the caller.
func decodeError(err error, size int) error {
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &se):
		return fail(pager.ErrInvalidArgument, "malformed JSON at byte offset %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fail(pager.ErrInvalidArgument, "malformed JSON: the body ends at byte offset %d inside the object", size)
	case errors.As(err, &ute):
		if ute.Field == "" {
			return fail(pager.ErrInvalidArgument, "request body must be %s, got JSON %s", jsonKind(ute.Type), ute.Value)
		}
		return fail(pager.ErrInvalidArgument, "field %q must be %s, got JSON %s", ute.Field, jsonKind(ute.Type), ute.Value)
	case errors.As(err, &pe):
		return fail(pager.ErrInvalidArgument, "time %q is not an RFC 3339 time such as 2025-06-01T00:00:00Z", pe.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fail(pager.ErrInvalidArgument, "unknown field %s", f)
	}
	if strings.HasPrefix(msg, "Time.UnmarshalJSON") {
		return fail(pager.ErrInvalidArgument, "a time must be an RFC 3339 string such as \"2025-06-01T00:00:00Z\"")
	}
	var iue *json.InvalidUnmarshalError
	if errors.As(err, &iue) {
		return fmt.Errorf("api: decode: %w", err) // a bug here, not the caller's
	}
	return fail(pager.ErrInvalidArgument, "request body does not decode: %s", msg)
}

// jsonKind names what JSON a Go type takes, for an error message.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another type"
}

// query checks a request's query parameters: only the names in allowed, each at most once. It
// returns their values ("" when absent).
func query(c echo.Context, allowed ...string) (map[string]string, error) {
	q := c.QueryParams()
	out := make(map[string]string, len(allowed))
	for name, vals := range q {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		switch {
		case !known && len(allowed) == 0:
			return nil, fail(pager.ErrInvalidArgument, "unknown query parameter %q; this endpoint takes none", name)
		case !known:
			return nil, fail(pager.ErrInvalidArgument, "unknown query parameter %q; this endpoint takes %s", name, strings.Join(allowed, ", "))
		case len(vals) > 1:
			return nil, fail(pager.ErrInvalidArgument, "query parameter %q is given %d times", name, len(vals))
		}
		out[name] = vals[0]
	}
	return out, nil
}

// limitParam parses ?limit=: 0 when absent (the default), else a positive integer.
func limitParam(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fail(pager.ErrInvalidArgument, "limit must be a positive integer, got %q", v)
	}
	return n, nil
}

// MaxParamBytes bounds a path parameter (an ID or a label).
const MaxParamBytes = 256

// param returns a path parameter, unescaped. An empty one (a path ending in "/") matches no route.
func param(c echo.Context, name string) (string, error) {
	v, err := url.PathUnescape(c.Param(name))
	switch {
	case err != nil:
		return "", fail(pager.ErrInvalidArgument, "path parameter %s is not properly escaped", name)
	case v == "":
		return "", echo.ErrNotFound
	case len(v) > MaxParamBytes:
		return "", fail(pager.ErrInvalidArgument, "path parameter %s is longer than %d bytes", name, MaxParamBytes)
	}
	return v, nil
}
