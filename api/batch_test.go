package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestArchivalBatch inserts passages in one atomic write on both stores: all of them are stored
// in the order given, the key rule applies among them, and any bad passage stores none.
func TestArchivalBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *keyEnv) {
		tok := e.key("acme", false)
		id := e.callAs(tok, "POST", "/v1/agents", `{"name": "a"}`, http.StatusCreated)["id"].(string)
		base := "/v1/agents/" + id + "/archival"
		count := func() int {
			t.Helper()
			res := e.callAs(tok, "POST", base+"/search", `{"query": "Alice Paris Lyon Volvo bakery", "k": 100, "include_invalid": true}`, http.StatusOK)
			return len(res["results"].([]any))
		}

		// A bad passage anywhere refuses the whole batch, naming it, and stores nothing.
		w := e.as(tok, "POST", base+"/batch", `{"passages": [{"text": "Alice drives a Volvo."}, {"text": "  "}]}`)
		e.wantError(w, http.StatusBadRequest, "invalid_argument", "passages[1]", "text is empty")
		w = e.as(tok, "POST", base+"/batch", `{"passages": [{"text": "Alice drives a Volvo."}, {"text": "x", "supersedes": "psg_nope"}]}`)
		e.wantError(w, http.StatusNotFound, "not_found", "passages[1]", "psg_nope")
		w = e.as(tok, "POST", base+"/batch", `{"passages": [{"text": "Alice drives a Volvo.", "source": "robot"}]}`)
		e.wantError(w, http.StatusBadRequest, "invalid_argument", "passages[0]", "source")
		e.wantError(e.as(tok, "POST", base+"/batch", `{"passages": []}`), http.StatusBadRequest, "invalid_argument", "passages is empty")
		e.wantError(e.as(tok, "POST", base+"/batch", `{"passage": []}`), http.StatusBadRequest, "invalid_argument", "passage")
		many := strings.Repeat(`{"text": "t"},`, 1001)
		e.wantError(e.as(tok, "POST", base+"/batch", `{"passages": [`+many[:len(many)-1]+`]}`), http.StatusRequestEntityTooLarge, "too_large", "1000")
		if n := count(); n != 0 {
			t.Fatalf("%d passages stored by refused batches", n)
		}

		// Another tenant's agent is not found, and gets nothing.
		other := e.key("other", false)
		e.wantError(e.as(other, "POST", base+"/batch", `{"passages": [{"text": "Alice drives a Volvo."}]}`), http.StatusNotFound, "not_found")

		res := e.callAs(tok, "POST", base+"/batch", `{"passages": [
			{"text": "Alice lives in Lyon.", "key": "alice/city", "valid_from": "2024-01-01T00:00:00Z"},
			{"text": "Alice lives in Paris.", "key": "alice/city", "valid_from": "2025-01-01T00:00:00Z", "tags": ["home"]},
			{"text": "Alice runs a bakery.", "source": "import", "metadata": {"from": "test"}}]}`, http.StatusCreated)
		ps := res["passages"].([]any)
		if len(ps) != 3 {
			t.Fatalf("answer %v", res)
		}
		lyon, paris, bakery := ps[0].(map[string]any), ps[1].(map[string]any), ps[2].(map[string]any)
		if lyon["text"] != "Alice lives in Lyon." || lyon["status"] != "superseded" || lyon["superseded_by"] != paris["id"] {
			t.Errorf("older value of the key: %v", lyon)
		}
		if paris["status"] != "valid" || fmt.Sprint(paris["tags"]) != "[home]" || bakery["source"] != "import" {
			t.Errorf("passages %v, %v", paris, bakery)
		}
		for _, p := range ps {
			pid := p.(map[string]any)["id"].(string)
			got := e.callAs(tok, "GET", base+"/"+pid, "", http.StatusOK)
			if got["text"] != p.(map[string]any)["text"] {
				t.Errorf("GET %s: %v", pid, got)
			}
		}
		if n := count(); n != 3 {
			t.Errorf("%d passages stored, want 3", n)
		}

		// Two passages that supersede one passage are refused.
		body := fmt.Sprintf(`{"passages": [{"text": "Alice has a Fiat.", "supersedes": %q}, {"text": "Alice has a Saab.", "supersedes": %q}]}`, bakery["id"], bakery["id"])
		e.wantError(e.as(tok, "POST", base+"/batch", body), http.StatusBadRequest, "invalid_argument", "both supersede")
		if n := count(); n != 3 {
			t.Errorf("%d passages after a refused batch, want 3", n)
		}
	})
}
