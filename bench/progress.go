package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress reports the advance of one phase on Common.Progress: a bar redrawn in place with \r
// when Common.Bar is set (a terminal), otherwise a line every lineEvery and one at the end.
type progress struct {
	w     io.Writer
	bar   bool
	label string
	total int
	start time.Time

	mu       sync.Mutex
	done     int
	lastDraw time.Time
}

const (
	drawEvery = 100 * time.Millisecond
	lineEvery = 10 * time.Second
	barWidth  = 30
)

func newProgress(c *Common, label string, total int) *progress {
	now := time.Now()
	return &progress{w: c.Progress, bar: c.Bar, label: label, total: total, start: now, lastDraw: now}
}

// add records n more units done.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := time.Now()
	switch {
	case p.bar && now.Sub(p.lastDraw) >= drawEvery:
		p.draw(now)
	case !p.bar && now.Sub(p.lastDraw) >= lineEvery:
		fmt.Fprintf(p.w, "%s: %s\n", p.label, p.status(now))
	default:
		return
	}
	p.lastDraw = now
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.bar {
		p.draw(now)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%s: done, %d in %.1fs\n", p.label, p.done, now.Sub(p.start).Seconds())
}

func (p *progress) draw(now time.Time) {
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	n := int(frac * barWidth)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", barWidth-n)
	fmt.Fprintf(p.w, "\r%-22s [%s] %s ", p.label, bar, p.status(now))
}

func (p *progress) status(now time.Time) string {
	el := now.Sub(p.start)
	if p.total <= 0 {
		return fmt.Sprintf("%d  %s", p.done, el.Round(time.Second))
	}
	s := fmt.Sprintf("%3.0f%% %d/%d %s", 100*float64(p.done)/float64(p.total), p.done, p.total, el.Round(time.Second))
	if p.done > 0 && p.done < p.total {
		eta := time.Duration(float64(el) / float64(p.done) * float64(p.total-p.done))
		s += " eta " + eta.Round(time.Second).String()
	}
	return s
}
