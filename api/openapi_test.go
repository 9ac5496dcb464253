package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/compaction"
	"github.com/memsvc/memsvc/pager"
	"github.com/memsvc/memsvc/state"
)

func servedOpenAPI(t *testing.T) (*Server, map[string]any) {
	t.Helper()
	s := New(Config{})
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/openapi.json answered %d: %s", w.Code, w.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	return s, doc
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// Every route the server registers is in the document, and the document has no other.
func TestOpenAPICoversRoutes(t *testing.T) {
	s, doc := servedOpenAPI(t)
	routes := map[string]bool{}
	for _, r := range s.echo.Routes() {
		routes[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for d := range documented {
		if !routes[d] {
			t.Errorf("the OpenAPI document has %s, which the server does not serve", d)
		}
	}
	if !routes["POST /v1/agents/{agent_id}/messages"] || len(routes) < 20 {
		t.Errorf("routes look wrong: %v", routes)
	}
}

// Each operation declares every path parameter of its path, and writes take Idempotency-Key.
func TestOpenAPIOperations(t *testing.T) {
	_, doc := servedOpenAPI(t)
	params := doc["components"].(map[string]any)["parameters"].(map[string]any)
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			declared := map[string]string{} // name -> in
			refs, _ := op["parameters"].([]any)
			for _, r := range refs {
				name := strings.TrimPrefix(r.(map[string]any)["$ref"].(string), "#/components/parameters/")
				p := params[name].(map[string]any)
				declared[p["name"].(string)] = p["in"].(string)
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if declared[m[1]] != "path" {
					t.Errorf("%s %s does not declare path parameter %s", method, path, m[1])
				}
			}
			if isWrite(strings.ToUpper(method)) && declared["Idempotency-Key"] != "header" {
				t.Errorf("%s %s does not declare the Idempotency-Key header", method, path)
			}
			if _, ok := op["operationId"].(string); !ok {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
}

// Every $ref points at a component that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, doc := servedOpenAPI(t)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				var node any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// The schemas have exactly the JSON fields of the types the handlers decode and answer.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	_, doc := servedOpenAPI(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	types := map[string]any{
		"Agent": pager.AgentView{}, "AgentListItem": state.Agent{}, "AgentCreate": pager.AgentSpec{},
		"AgentPatch": pager.AgentPatch{}, "AgentList": list[state.Agent]{}, "PagerConfig": state.PagerConfig{},
		"PagerSpec": pager.PagerSpec{}, "Block": state.Block{}, "BlockInput": pager.BlockInput{},
		"BlockList": list[state.Block]{}, "Message": state.Message{}, "MessageInput": pager.MessageInput{},
		"MessageList": list[state.Message]{}, "AppendRequest": appendRequest{}, "AppendResult": pager.AppendResult{},
		"ContextState": pager.ContextState{}, "Event": pager.Event{}, "TokenBreakdown": pager.TokenBreakdown{},
		"ContextView": pager.ContextView{}, "Summary": state.Summary{}, "InvalidateRequest": invalidateRequest{}, "PassageEventList": list[archival.Event]{}, "PassageEvent": archival.Event{}, "SummaryList": list[state.Summary]{}, "Passage": archival.Passage{},
		"PassageInput": pager.PassageInput{}, "Weights": pager.Weights{}, "Scores": pager.Scores{},
		"ArchivalQuery": pager.ArchivalQuery{}, "ArchivalHit": pager.ArchivalHit{}, "ArchivalResults": archivalResults{},
		"RecallQuery": pager.RecallQuery{}, "RecallHit": pager.RecallHit{}, "RecallResults": recallResults{},
		"ToolList": toolList{}, "ToolCall": pager.ToolCall{}, "ToolResult": pager.ToolResult{},
		"Error":       errorBody{},
		"Permissions": state.Permissions{}, "PermissionsView": pager.PermissionsView{}, "SharedBlock": state.SharedBlock{},
		"Attachment": state.Attachment{}, "SharedBlockInput": pager.SharedBlockInput{}, "AttachInput": pager.AttachInput{},
		"BlockEvent": state.BlockEvent{}, "BlockEventList": list[state.BlockEvent]{}, "APIKey": state.APIKey{},
		"APIKeyList": list[state.APIKey]{}, "KeyRequest": keyRequest{}, "CreatedKey": createdKey{}, "Job": compaction.Job{},
		"PassageBatch": PassageBatch{}, "StoredPassages": StoredPassages{}, "Export": pager.Export{},
	}
	for name, v := range types {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		var props []string
		for p := range s["properties"].(map[string]any) {
			props = append(props, p)
		}
		sort.Strings(props)
		if fields := jsonFields(reflect.TypeOf(v)); !slices.Equal(props, fields) {
			t.Errorf("schema %s has properties %v, but %T has JSON fields %v", name, props, v, fields)
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if !slices.Contains(props, r.(string)) {
					t.Errorf("schema %s requires %v, which it does not define", name, r)
				}
			}
		}
	}
}

// jsonFields returns the sorted JSON field names encoding/json uses for struct type t.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case !f.IsExported():
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
