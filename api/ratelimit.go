package api

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Defaults of Config's rate limit: each key may send DefaultRateLimit requests per second on
// average, in bursts of DefaultRateBurst.
const (
	DefaultRateLimit = 50
	DefaultRateBurst = 100
)

// errRateLimited is the kind of an error that answers 429.
var errRateLimited = errors.New("rate limited")

// limiters holds one token bucket per API key. Keys are authenticated before they get a bucket,
// so the map grows with the number of keys, not with what clients send.
type limiters struct {
	limit rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func (l *limiters) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*rate.Limiter)
	}
	lim := l.m[key]
	if lim == nil {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	return lim
}

// rateLimit answers 429 with Retry-After to a key over its rate. Loopback requests without a
// key (no key configured) are not limited.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := principalOf(c)
		if !ok || p.keyless || s.limiters.limit == rate.Inf {
			return next(c)
		}
		r := s.limiters.get(p.key.ID).ReserveN(time.Now(), 1)
		if d := r.Delay(); !r.OK() || d > 0 {
			r.Cancel()
			secs := max(1, int(math.Ceil(d.Seconds())))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return fail(errRateLimited, "key %s is over its rate limit of %g requests per second (bursts of %d); retry after %d s",
				p.key.ID, float64(s.limiters.limit), s.limiters.burst, secs)
		}
		return next(c)
	}
}
