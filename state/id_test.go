package state

import (
	"strings"
	"sync"
	"testing"
)

// IDs made by one process are strictly increasing even when many fall in one millisecond and
// several goroutines make them at once, so ties between equal times sort in the order of writing.
func TestNewIDIncreases(t *testing.T) {
	const workers, each = 4, 2000
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				got[w] = append(got[w], NewID("psg"))
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range got {
		for i, id := range ids {
			if !strings.HasPrefix(id, "psg_") || len(id) != len("psg_")+26 {
				t.Fatalf("malformed ID %q", id)
			}
			if i > 0 && id <= ids[i-1] {
				t.Fatalf("ID %s made after %s sorts before it", id, ids[i-1])
			}
			if seen[id] {
				t.Fatalf("ID %s made twice", id)
			}
			seen[id] = true
		}
	}
}

// The carry: an increment past the 80 random bits moves into the millisecond bits.
func TestAddIDCarries(t *testing.T) {
	var b [16]byte
	for i := 8; i < 16; i++ {
		b[i] = 0xff
	}
	addID(&b, 1)
	if b[7] != 1 || b[15] != 0 {
		t.Fatalf("carry lost: %x", b)
	}
}
