package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestClassify: errors that mean the server cannot be reached become ErrUnavailable (the API's
// 503); others, and a nil error, pass unchanged.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err         error
		unavailable bool
	}{
		{fmt.Errorf("begin: %w", pgconn.ErrConnClosed), true}, // a dropped connection, seen at Begin
		{io.ErrUnexpectedEOF, true},
		{pgx.ErrTxClosed, true},
		{context.DeadlineExceeded, true},
		{&pgconn.PgError{Code: "57P01"}, true}, // admin shutdown
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("syntax"), false},
	} {
		got := Classify(tc.err)
		if errors.Is(got, ErrUnavailable) != tc.unavailable || !errors.Is(got, tc.err) {
			t.Errorf("Classify(%v) = %v, want unavailable %v, wrapping the original", tc.err, got, tc.unavailable)
		}
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
}
