package archivaltest

import (
	"testing"

	"github.com/memsvc/memsvc/archival"
)

// testKeyAuthority checks that the key rule weighs authority on this backend (it must read each
// chain member's source): a newer value from an agent or a tool does not supersede a user's, a
// newer user value supersedes both, and the lower-authority values chain among themselves.
func testKeyAuthority(t *testing.T, s archival.Store) {
	mk := func(id string, src archival.Source, month int) archival.Passage {
		p := passage("a", id, "Alice lives in "+id, axis(s, 0))
		p.Key, p.Source, p.ValidFrom = "alice/city", src, date(2025, 1, 1).AddDate(0, month, 0)
		return p
	}
	upsert(t, s, mk("paris", archival.SourceUser, 0))
	upsert(t, s, mk("berlin", archival.SourceAgent, 2))
	upsert(t, s, mk("oslo", archival.SourceTool, 3))
	if p := get(t, s, "a", "paris"); p.Status != archival.StatusValid || p.ValidTo != nil {
		t.Fatalf("a newer agent or tool value superseded the user's: paris %+v", p)
	}
	if b := get(t, s, "a", "berlin"); b.Status != archival.StatusSuperseded || b.SupersededBy != "oslo" {
		t.Fatalf("lower-authority values chain among themselves: berlin %+v", b)
	}
	upsert(t, s, mk("rome", archival.SourceUser, 4))
	if p := get(t, s, "a", "paris"); p.Status != archival.StatusSuperseded || p.SupersededBy != "rome" || !p.ValidTo.Equal(date(2025, 5, 1)) {
		t.Fatalf("a newer user value supersedes the user's: paris %+v", p)
	}
	if o := get(t, s, "a", "oslo"); o.Status != archival.StatusSuperseded || o.SupersededBy != "rome" {
		t.Fatalf("a newer user value supersedes the tool's: oslo %+v", o)
	}
	if r := get(t, s, "a", "rome"); r.Status != archival.StatusValid {
		t.Fatalf("rome %+v", r)
	}
}
