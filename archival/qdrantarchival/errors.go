package qdrantarchival

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memsvc/memsvc/archival"
)

// grpcErr translates an error of a Qdrant call into the archival contract's sentinels, keeping
// the original for its message:
//
//   - ctx's own error when ctx ended the call (gRPC reports it as Canceled or DeadlineExceeded);
//   - ErrUnavailable for Unavailable, DeadlineExceeded, ResourceExhausted (rate limited),
//     Aborted and Canceled (by the server), which a retry may cure, and for NotFound, which Qdrant answers only when the
//     collection is missing (dropped under a running service): missing passages are not errors
//     of Qdrant's, they are absent from its answers;
//   - ErrDimensionMismatch for InvalidArgument about a vector's dimension;
//   - ErrInvalid for other InvalidArgument and FailedPrecondition answers.
func grpcErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if c := ctx.Err(); c != nil {
		if errors.Is(err, c) {
			return err
		}
		return fmt.Errorf("%w: %w", c, err)
	}
	var rate *qdrant.QdrantResourceExhaustedError
	if errors.As(err, &rate) {
		return fmt.Errorf("%w: %w", archival.ErrUnavailable, err)
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return fmt.Errorf("%w: %w", archival.ErrUnavailable, err)
	case codes.NotFound:
		return fmt.Errorf("%w: the collection is missing: %w", archival.ErrUnavailable, err)
	case codes.InvalidArgument, codes.FailedPrecondition:
		if strings.Contains(strings.ToLower(st.Message()), "dimension") {
			return fmt.Errorf("%w: %w", archival.ErrDimensionMismatch, err)
		}
		return fmt.Errorf("%w: %w", archival.ErrInvalid, err)
	}
	return err
}

// permanent reports whether Qdrant refused a request as malformed, so that sending it again
// cannot succeed.
func permanent(err error) bool {
	return status.Code(err) == codes.InvalidArgument
}
