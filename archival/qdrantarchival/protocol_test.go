package qdrantarchival_test

// Protocol tests: the requests qdrantarchival sends, as the protocol test server records them.
// They check the requests' shape against what the go-client's messages and Qdrant's documentation
// call for; they do not show that a real Qdrant answers them the same way (see README, Qdrant).

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/archival/qdrantarchival"
	"github.com/memsvc/memsvc/archival/qdrantarchival/qdranttest"
)

func axis(i int) []float32 {
	v := make([]float32, dim)
	v[i] = 1
	return v
}

func upsert(t *testing.T, s archival.Store, ps ...archival.Passage) {
	t.Helper()
	if err := s.Upsert(context.Background(), ps); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

// batches returns the recorded UpdateBatch requests.
func batches(srv *qdranttest.Server) []*qdrant.UpdateBatchPoints {
	var out []*qdrant.UpdateBatchPoints
	for _, r := range srv.Requests("UpdateBatch") {
		out = append(out, r.Msg.(*qdrant.UpdateBatchPoints))
	}
	return out
}

// oneBatch returns the only UpdateBatch recorded since the last reset, checking that it waits.
func oneBatch(t *testing.T, srv *qdranttest.Server) *qdrant.UpdateBatchPoints {
	t.Helper()
	bs := batches(srv)
	if len(bs) != 1 {
		t.Fatalf("%d UpdateBatch requests, want 1", len(bs))
	}
	if !bs[0].GetWait() || bs[0].GetCollectionName() != "passages" {
		t.Fatalf("UpdateBatch must wait (read-your-writes) and name the collection: %v", bs[0])
	}
	return bs[0]
}

func methods(rs []qdranttest.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method
	}
	return out
}

func TestCreatesCollectionAndIndexes(t *testing.T) {
	s, srv := fake(t)
	if got := methods(srv.Requests()); !slices.Equal(got[:4], []string{"HealthCheck", "CollectionExists", "Create", "Get"}) {
		t.Fatalf("start-up requests %v", got)
	}
	create := srv.Requests("Create")[0].Msg.(*qdrant.CreateCollection)
	dense := create.GetVectorsConfig().GetParamsMap().GetMap()["dense"]
	if dense.GetSize() != dim || dense.GetDistance() != qdrant.Distance_Cosine || len(create.GetVectorsConfig().GetParamsMap().GetMap()) != 1 {
		t.Errorf("dense vectors: %v", create.GetVectorsConfig())
	}
	if sp := create.GetSparseVectorsConfig().GetMap()["lexical"]; sp.GetModifier() != qdrant.Modifier_Idf {
		t.Errorf("sparse vectors: %v, want lexical with the IDF modifier", create.GetSparseVectorsConfig())
	}
	if h := create.GetHnswConfig(); h.M == nil || h.GetM() != 0 || h.GetPayloadM() != 16 {
		t.Errorf("hnsw config %v, want per-tenant graphs (m 0, payload_m 16)", h)
	}
	want := map[string]qdrant.FieldType{
		"agent_id": qdrant.FieldType_FieldTypeKeyword, "status": qdrant.FieldType_FieldTypeKeyword,
		"key": qdrant.FieldType_FieldTypeKeyword, "tags": qdrant.FieldType_FieldTypeKeyword,
		"superseded_by": qdrant.FieldType_FieldTypeKeyword,
		"valid_from":    qdrant.FieldType_FieldTypeDatetime, "valid_to": qdrant.FieldType_FieldTypeDatetime,
	}
	got := map[string]qdrant.FieldType{}
	for _, r := range srv.Requests("CreateFieldIndex") {
		ix := r.Msg.(*qdrant.CreateFieldIndexCollection)
		got[ix.GetFieldName()] = ix.GetFieldType()
		if !ix.GetWait() || ix.GetCollectionName() != "passages" {
			t.Errorf("index request %v must wait and name the collection", ix)
		}
		tenant := ix.GetFieldIndexParams().GetKeywordIndexParams().GetIsTenant()
		if tenant != (ix.GetFieldName() == "agent_id") {
			t.Errorf("index %s: is_tenant %v", ix.GetFieldName(), tenant)
		}
	}
	if len(got) != len(want) {
		t.Errorf("indexes %v, want %v", got, want)
	}
	for f, typ := range want {
		if got[f] != typ {
			t.Errorf("index %s: %v, want %v", f, got[f], typ)
		}
	}

	// Opening again finds everything in place and creates nothing.
	srv.ResetRequests()
	cfg := config(t, srv.Addr, s.Collection(), sqliteOutbox(t, t.TempDir()))
	open(t, cfg)
	if got := methods(srv.Requests()); len(srv.Requests("Create", "CreateFieldIndex")) != 0 {
		t.Fatalf("a second start-up sent %v", got)
	}
}

func decodeEmbedding(t *testing.T, s string) []float32 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func TestUpsertRequest(t *testing.T) {
	s, srv := fake(t)
	srv.ResetRequests()
	vec := make([]float32, dim)
	vec[0], vec[1] = 3, -4 // not unit length: Qdrant normalizes, the payload keeps it as given
	created := time.Date(2024, 5, 2, 10, 0, 0, 123_456_789, time.FixedZone("X", 5400))
	p := archival.Passage{ID: "p1", AgentID: "agent", Text: "Alice likes tea, tea and more TEA", Vector: vec,
		CreatedAt: created, Tags: []string{"drinks", "alice"}, Key: "alice/drink", Metadata: map[string]any{"n": 1.5}}
	upsert(t, s, p)

	if got := methods(srv.Requests()); !slices.Equal(got, []string{"Get", "Scroll", "UpdateBatch"}) {
		t.Fatalf("requests %v, want the read of the passage, of its key's chain, and one write", got)
	}
	get := srv.Requests("Get")[0].Msg.(*qdrant.GetPoints)
	if len(get.GetIds()) != 1 || get.GetIds()[0].GetUuid() != qdrantarchival.PointID("agent", "p1") || !get.GetWithPayload().GetEnable() {
		t.Errorf("read of the replaced passage: %v", get)
	}
	scroll := srv.Requests("Scroll")[0].Msg.(*qdrant.ScrollPoints)
	if must := scroll.GetFilter().GetMust(); len(must) != 2 || must[0].GetField().GetKey() != "agent_id" ||
		must[1].GetField().GetKey() != "key" || must[1].GetField().GetMatch().GetKeyword() != "alice/drink" {
		t.Errorf("chain scroll filter: %v", scroll.GetFilter())
	}

	b := oneBatch(t, srv)
	if len(b.GetOperations()) != 1 || b.GetOperations()[0].GetUpsert() == nil {
		t.Fatalf("operations %v, want one upsert", b.GetOperations())
	}
	points := b.GetOperations()[0].GetUpsert().GetPoints()
	if len(points) != 1 {
		t.Fatalf("points %v", points)
	}
	pt := points[0]
	if pt.GetId().GetUuid() != qdrantarchival.PointID("agent", "p1") {
		t.Errorf("point id %v", pt.GetId())
	}
	vectors := pt.GetVectors().GetVectors().GetVectors()
	if d := vectors["dense"].GetDense().GetData(); !slices.Equal(d, vec) {
		t.Errorf("dense vector %v", d)
	}
	sp := vectors["lexical"].GetSparse()
	// alice, likes, tea (×3), and, more: five distinct terms, sorted indices, tea weighs most.
	if len(sp.GetIndices()) != 5 || len(sp.GetValues()) != 5 || !slices.IsSorted(sp.GetIndices()) {
		t.Fatalf("sparse vector %v", sp)
	}
	weights := slices.Sorted(slices.Values(sp.GetValues()))
	if weights[0] <= 0 || weights[0] != weights[3] || weights[4] <= weights[3] || weights[4] >= 2.2 {
		t.Errorf("BM25 term weights %v, want four equal ones (tf 1) and tea's larger, all in (0, k1+1)", weights)
	}
	pl := pt.GetPayload()
	str := func(f string) string { return pl[f].GetStringValue() }
	if str("agent_id") != "agent" || str("passage_id") != "p1" || str("text") != p.Text || str("status") != "valid" ||
		str("source") != "agent" || str("key") != "alice/drink" {
		t.Errorf("payload %v", pl)
	}
	if str("created_at") != "2024-05-02T08:30:00.123456Z" || str("valid_from") != str("created_at") {
		t.Errorf("times %q %q, want UTC RFC 3339 to the microsecond", str("created_at"), str("valid_from"))
	}
	if _, null := pl["valid_to"].GetKind().(*qdrant.Value_NullValue); !null {
		t.Errorf("valid_to %v, want null while valid", pl["valid_to"])
	}
	var tags []string
	for _, v := range pl["tags"].GetListValue().GetValues() {
		tags = append(tags, v.GetStringValue())
	}
	if !slices.Equal(tags, p.Tags) {
		t.Errorf("tags %v", tags)
	}
	if !slices.Equal(decodeEmbedding(t, str("embedding")), vec) {
		t.Errorf("embedding does not decode to the vector")
	}
	var md map[string]any
	if err := json.Unmarshal([]byte(str("metadata")), &md); err != nil || md["n"] != 1.5 {
		t.Errorf("metadata %q: %v", str("metadata"), err)
	}
}

// TestValidityChangesUpdatePayload: an invalidation rewrites the payload only, and the key rule
// sets the validity fields of the other passages of the key.
func TestValidityChangesUpdatePayload(t *testing.T) {
	s, srv := fake(t)
	ctx := context.Background()
	mk := func(id string, when time.Time) archival.Passage {
		return archival.Passage{ID: id, AgentID: "a", Text: "Alice lives in " + id, Vector: axis(0), Key: "alice/city", ValidFrom: when}
	}
	upsert(t, s, mk("berlin", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	srv.ResetRequests()
	upsert(t, s, mk("paris", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)))
	// paris arrives superseded: the rule's change of a passage in the batch is part of its upsert.
	b := oneBatch(t, srv)
	if ops := b.GetOperations(); len(ops) != 1 || ops[0].GetUpsert().GetPoints()[0].GetPayload()["status"].GetStringValue() != "superseded" {
		t.Fatalf("operations %v, want one upsert of a superseded paris", ops)
	}

	srv.ResetRequests()
	upsert(t, s, mk("rome", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)))
	b = oneBatch(t, srv)
	ops := b.GetOperations()
	if len(ops) != 2 || ops[0].GetUpsert() == nil || ops[1].GetSetPayload() == nil {
		t.Fatalf("operations %v, want rome's upsert then a set_payload of paris", ops)
	}
	set := ops[1].GetSetPayload()
	if ids := set.GetPointsSelector().GetPoints().GetIds(); len(ids) != 1 || ids[0].GetUuid() != qdrantarchival.PointID("a", "paris") {
		t.Errorf("set_payload selects %v, want paris", set.GetPointsSelector())
	}
	pl := set.GetPayload()
	if len(pl) != 3 || pl["status"].GetStringValue() != "superseded" || pl["superseded_by"].GetStringValue() != "rome" ||
		pl["valid_to"].GetStringValue() != "2024-09-01T00:00:00.000000Z" {
		t.Errorf("set_payload %v, want only status, superseded_by and valid_to", pl)
	}

	srv.ResetRequests()
	berlin, err := s.Get(ctx, "a", "berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin.Status, berlin.Cause = archival.StatusInvalidated, "wrong"
	upsert(t, s, berlin)
	b = oneBatch(t, srv)
	ops = b.GetOperations()
	if len(ops) != 2 || ops[0].GetOverwritePayload() == nil || ops[1].GetSetPayload() == nil {
		t.Fatalf("operations %v, want berlin's payload overwritten (no vectors re-sent) and rome's validity set", ops)
	}
	if st := ops[0].GetOverwritePayload().GetPayload()["status"].GetStringValue(); st != "invalidated" {
		t.Errorf("berlin's payload status %q", st)
	}
	rome := ops[1].GetSetPayload().GetPayload()
	if _, null := rome["valid_to"].GetKind().(*qdrant.Value_NullValue); !null || rome["status"].GetStringValue() != "valid" || rome["superseded_by"].GetStringValue() != "" {
		t.Errorf("rome's restored validity %v", rome)
	}
}

// queries returns the QueryPoints of the recorded QueryBatch requests.
func queries(t *testing.T, srv *qdranttest.Server) []*qdrant.QueryPoints {
	t.Helper()
	var out []*qdrant.QueryPoints
	for _, r := range srv.Requests("QueryBatch") {
		b := r.Msg.(*qdrant.QueryBatchPoints)
		if b.GetCollectionName() != "passages" {
			t.Errorf("batch collection %q", b.GetCollectionName())
		}
		out = append(out, b.GetQueryPoints()...)
	}
	return out
}

func TestSearchRequests(t *testing.T) {
	s, srv := fake(t)
	ctx := context.Background()
	upsert(t, s, archival.Passage{ID: "p", AgentID: "a", Text: "zebra stripes", Vector: axis(0), Tags: []string{"x"}})
	srv.ResetRequests()
	asOf := time.Date(2030, 1, 2, 3, 4, 5, 678_901_234, time.UTC)
	hits, err := s.Search(ctx, archival.Query{AgentID: "a", Text: "Zebra, zebra!", Vector: axis(0), K: 3, Tags: []string{"x", "x"}, AsOf: &asOf})
	if err != nil || len(hits) != 1 {
		t.Fatalf("search: %v %v", hits, err)
	}
	if got := methods(srv.Requests()); !slices.Equal(got, []string{"QueryBatch", "Get"}) {
		t.Fatalf("requests %v, want one query batch and one read of the best k", got)
	}
	qs := queries(t, srv)
	if len(qs) != 2 {
		t.Fatalf("%d queries, want dense and lexical", len(qs))
	}
	dense, lexical := qs[0], qs[1]
	if dense.GetUsing() != "dense" || !slices.Equal(dense.GetQuery().GetNearest().GetDense().GetData(), axis(0)) || dense.GetLimit() != 50 {
		t.Errorf("dense query %v", dense)
	}
	if sp := lexical.GetQuery().GetNearest().GetSparse(); lexical.GetUsing() != "lexical" || len(sp.GetIndices()) != 1 ||
		sp.GetValues()[0] != 1 || lexical.GetLimit() != 50 {
		t.Errorf("lexical query %v, want the one distinct term with weight 1", lexical)
	}
	for _, q := range qs {
		if len(q.GetPrefetch()) != 0 || q.GetQuery().GetNearest() == nil {
			t.Errorf("query %v: fusion is done in Go, not by Qdrant", q)
		}
		if f := q.GetWithPayload().GetInclude().GetFields(); !slices.Equal(f, []string{"passage_id", "created_at"}) {
			t.Errorf("candidate payload %v, want only the id and created_at", f)
		}
		must := q.GetFilter().GetMust()
		if len(must) != 4 {
			t.Fatalf("filter %v, want agent, valid_from, valid_to and one tag", q.GetFilter())
		}
		if must[0].GetField().GetKey() != "agent_id" || must[0].GetField().GetMatch().GetKeyword() != "a" {
			t.Errorf("agent condition %v", must[0])
		}
		vf := must[1].GetField()
		if vf.GetKey() != "valid_from" || !vf.GetDatetimeRange().GetLte().AsTime().Equal(asOf.Truncate(time.Microsecond)) {
			t.Errorf("valid_from condition %v, want <= as_of to the microsecond", vf)
		}
		should := must[2].GetFilter().GetShould()
		if len(should) != 2 || should[0].GetIsEmpty().GetKey() != "valid_to" || should[1].GetField().GetKey() != "valid_to" ||
			!should[1].GetField().GetDatetimeRange().GetGt().AsTime().Equal(asOf.Truncate(time.Microsecond)) {
			t.Errorf("valid_to condition %v, want empty or > as_of", must[2])
		}
		if must[3].GetField().GetKey() != "tags" || must[3].GetField().GetMatch().GetKeyword() != "x" {
			t.Errorf("tag condition %v", must[3])
		}
	}
	get := srv.Requests("Get")[0].Msg.(*qdrant.GetPoints)
	if len(get.GetIds()) != 1 || get.GetIds()[0].GetUuid() != qdrantarchival.PointID("a", "p") {
		t.Errorf("read of the hits %v", get)
	}

	// Without as_of, the status filters; include_invalid drops it; each list only when it has input.
	for _, c := range []struct {
		q     archival.Query
		using []string
		must  int
	}{
		{archival.Query{AgentID: "a", Text: "zebra", K: 1}, []string{"lexical"}, 2},
		{archival.Query{AgentID: "a", Vector: axis(1), K: 1, IncludeInvalid: true}, []string{"dense"}, 1},
		{archival.Query{AgentID: "a", Text: "zebra", Vector: make([]float32, dim), K: 1}, []string{"lexical"}, 2},
		{archival.Query{AgentID: "a", Text: "!!! ???", K: 1}, nil, 0},
	} {
		srv.ResetRequests()
		if _, err := s.Search(ctx, c.q); err != nil {
			t.Fatal(err)
		}
		qs := queries(t, srv)
		var using []string
		for _, q := range qs {
			using = append(using, q.GetUsing())
			if must := q.GetFilter().GetMust(); len(must) != c.must || (c.must == 2 && must[1].GetField().GetMatch().GetKeyword() != "valid") {
				t.Errorf("%+v: filter %v", c.q, q.GetFilter())
			}
		}
		if !slices.Equal(using, c.using) {
			t.Errorf("%+v: queries on %v, want %v", c.q, using, c.using)
		}
	}
}

func TestDeleteAndCountRequests(t *testing.T) {
	s, srv := fake(t)
	ctx := context.Background()
	upsert(t, s, archival.Passage{ID: "p", AgentID: "a", Text: "one", Vector: axis(0)},
		archival.Passage{ID: "q", AgentID: "a", Text: "two", Vector: axis(1)})
	srv.ResetRequests()
	if err := s.Delete(ctx, "a", "p"); err != nil {
		t.Fatal(err)
	}
	del := oneBatch(t, srv).GetOperations()
	if len(del) != 1 || len(del[0].GetDeletePoints().GetPoints().GetPoints().GetIds()) != 1 ||
		del[0].GetDeletePoints().GetPoints().GetPoints().GetIds()[0].GetUuid() != qdrantarchival.PointID("a", "p") {
		t.Fatalf("delete operations %v", del)
	}
	srv.ResetRequests()
	if err := s.DeleteAgent(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	del = oneBatch(t, srv).GetOperations()
	if f := del[0].GetDeletePoints().GetPoints().GetFilter(); len(del) != 1 || len(f.GetMust()) != 1 ||
		f.GetMust()[0].GetField().GetKey() != "agent_id" || f.GetMust()[0].GetField().GetMatch().GetKeyword() != "a" {
		t.Fatalf("delete agent operations %v, want a delete by the agent filter", del)
	}
	srv.ResetRequests()
	if n, err := s.Count(ctx, "a"); err != nil || n != 0 {
		t.Fatalf("count %d %v", n, err)
	}
	c := srv.Requests("Count")[0].Msg.(*qdrant.CountPoints)
	if !c.GetExact() || c.GetFilter().GetMust()[0].GetField().GetMatch().GetKeyword() != "a" {
		t.Errorf("count request %v, want exact and filtered by agent", c)
	}
}

func TestPointID(t *testing.T) {
	a, b := qdrantarchival.PointID("agent", "p1"), qdrantarchival.PointID("agent", "p1")
	if a != b || len(a) != 36 || a[14] != '5' || !slices.Contains([]byte("89ab"), a[19]) {
		t.Fatalf("PointID = %s, want a stable version-5 UUID", a)
	}
	for _, other := range []string{qdrantarchival.PointID("agen", "tp1"), qdrantarchival.PointID("agent", "p2"), qdrantarchival.PointID("other", "p1")} {
		if other == a {
			t.Fatalf("PointID collides: %s", a)
		}
	}
}
