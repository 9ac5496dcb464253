package vecindex

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// HNSW is an approximate Index: per agent a hierarchical navigable small-world graph (Malkov &
// Yashunin, 2016) over L2-normalized vectors held as float16 (half.go), searched by dot product
// with a float32 query. It keeps Exact's contract (cosine scores in [-1, 1], zero vectors score
// 0, equal scores by id ascending, Add replaces, safe for concurrent use), with three
// differences: a score is the cosine within 1e-3 (the rounding to float16), a search of
// a large agent may miss some true neighbours (recall@10 about 0.97 on crowded text-like
// vectors at 100k, see TestHNSWRecall and BenchmarkHNSWSearch), and its cost grows with the
// search width ef rather than linearly with the agent's size.
//
// Small agents: an agent with fewer than ExactBelow live vectors has no graph and is scanned
// whole, so its results are exact over the float16 vectors it holds (they can differ from
// Exact's on near-ties, within 1e-3). The graph is started when the agent
// reaches ExactBelow vectors and dropped (the agent goes back to exact scans) when it falls
// below ExactBelow/2. Even with a graph, a query scans instead when the scan is expected to be
// as cheap: a search of width ef costs about as much as scanning ef·scanWorkPerEf/dim vectors
// (see scanWorkPerEf). The default ExactBelow is where that happens for EfSearch: 60,000
// vectors at dimension 100, 11,718 at dimension 512.
//
// Building without stalls: a graph is linked one vector at a time, in slot order, always by a
// background goroutine (the agent's linker), never by Add: Add only stores the vector, so a
// writer that holds locks of its own around Add never waits for a graph. The linker takes the
// agent's write lock for at most about linkHold at a time, and the linkers of all agents run on
// at most half the cores. A search walks the linked part of the graph and scans the slots not
// linked yet, and scans everything while that would be cheaper (a new graph, or a linker far
// behind). Flush links everything pending at once.
//
// Layout: an agent's vectors lie in one contiguous float16 slab indexed by slot; layer-0
// neighbour lists lie in one int32 slab of 2M+1 entries per slot (a count, then the neighbours);
// the rare upper layers have a small int32 slice per slot that reaches them. At dimension 100
// and M=32 that is about 630 heap bytes per vector, ids and id map included (vectors 200,
// layer-0 links 260).
//
// Deletion is lazy: Remove (and Add of an existing id) tombstones the slot. A tombstoned vector
// stays in the graph as a waypoint that searches pass through but never return and that new
// vectors do not link to; when tombstones outnumber half the live vectors, the agent's graph is
// rebuilt from its live vectors: the slots are packed at once, and relinked in the background
// as above.
//
// Filtered search: keep is asked only about vectors that would enter the search's result list,
// and a rejected vector does not take a place in it, so the search keeps widening until it holds
// max(EfSearch, 2k) kept vectors or runs out of graph. When that still yields fewer than k kept
// results, or the search has visited half the agent, the agent is scanned exactly instead.
//
// Levels are drawn from a hash of (Seed, id) and vectors are linked in slot order, so the same
// sequence of Adds and Removes builds the same graph (a Remove that races the background
// linker may change which tombstoned slots it skips, and so the graph, not the contract).
//
// Locking: one lock for the map of agents, and one read-write lock per agent; a search holds only
// its agent's read lock, so writes to one agent do not stall searches of another.
type HNSW struct {
	dim    int
	cfg    HNSWConfig
	m0     int     // neighbour cap on layer 0: 2M
	ml     float64 // level multiplier: 1/ln(M)
	mu     sync.RWMutex
	agents map[string]*hnswAgent
	// linkers holds a token per background linker at work: at most half the cores link at once.
	linkers chan struct{}

	graphOnly bool // tests: no scan shortcuts besides the fallback for fewer than k results
}

var _ Index = (*HNSW)(nil)

// HNSWConfig holds HNSW's parameters. DefaultHNSWConfig returns the defaults.
type HNSWConfig struct {
	// M is the number of neighbours a vector links to on each layer; layer 0 holds up to 2M.
	M int
	// EfConstruction is the width of the search that finds a new vector's neighbours.
	EfConstruction int
	// EfSearch is the minimum width of a query's search; a query for k results uses
	// max(EfSearch, 2k).
	EfSearch int
	// ExactBelow is the number of live vectors from which an agent gets a graph; agents with
	// fewer are searched exactly. 0 gives every agent a graph; a negative value (the default)
	// picks EfSearch·scanWorkPerEf/dim, the size from which a graph search of width EfSearch
	// beats a scan.
	ExactBelow int
	// Seed seeds level generation.
	Seed uint64
}

// DefaultHNSWConfig returns the parameters NewHNSW starts from; hnsw_test.go's benchmarks hold
// the measurements behind them. EfConstruction 100 rather than 200: on 100k crowded text-like
// vectors of dimension 100 it links a vector in half the time (468 against 948 µs) for a
// recall@10 of 0.968 against 0.973, and a writer pays for linking its own vectors.
func DefaultHNSWConfig() HNSWConfig {
	return HNSWConfig{M: 32, EfConstruction: 100, EfSearch: 200, ExactBelow: -1, Seed: 1}
}

// HNSWOption changes one parameter of a new HNSW.
type HNSWOption func(*HNSWConfig)

// WithHNSWConfig replaces every parameter; zero or negative M, EfConstruction and EfSearch
// still take their defaults.
func WithHNSWConfig(c HNSWConfig) HNSWOption { return func(dst *HNSWConfig) { *dst = c } }

// WithM sets M, the number of links per vector and layer (layer 0 holds 2M).
func WithM(m int) HNSWOption { return func(c *HNSWConfig) { c.M = m } }

// WithEfConstruction sets the search width used to insert a vector.
func WithEfConstruction(ef int) HNSWOption { return func(c *HNSWConfig) { c.EfConstruction = ef } }

// WithEfSearch sets the minimum search width of a query.
func WithEfSearch(ef int) HNSWOption { return func(c *HNSWConfig) { c.EfSearch = ef } }

// WithExactBelow sets the agent size below which searches are exact scans (0: always a graph).
func WithExactBelow(n int) HNSWOption { return func(c *HNSWConfig) { c.ExactBelow = n } }

// WithSeed sets the seed of level generation.
func WithSeed(seed uint64) HNSWOption { return func(c *HNSWConfig) { c.Seed = seed } }

// NewHNSW returns an empty HNSW index of vectors of length dim. Like Exact, it ignores an Add of
// a vector of another length and answers nil to a query of another length.
func NewHNSW(dim int, opts ...HNSWOption) *HNSW {
	cfg := DefaultHNSWConfig()
	for _, o := range opts {
		o(&cfg)
	}
	def := DefaultHNSWConfig()
	if cfg.M < 2 {
		cfg.M = def.M
	}
	if cfg.EfConstruction <= 0 {
		cfg.EfConstruction = def.EfConstruction
	}
	cfg.EfConstruction = max(cfg.EfConstruction, cfg.M)
	if cfg.EfSearch <= 0 {
		cfg.EfSearch = def.EfSearch
	}
	if cfg.ExactBelow < 0 {
		cfg.ExactBelow = cfg.EfSearch * scanWorkPerEf / max(dim, 1)
	}
	return &HNSW{
		dim:     dim,
		cfg:     cfg,
		m0:      2 * cfg.M,
		ml:      1 / math.Log(float64(cfg.M)),
		agents:  make(map[string]*hnswAgent),
		linkers: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
}

// Dim returns the vector length the index accepts.
func (h *HNSW) Dim() int { return h.dim }

// Config returns the index's parameters.
func (h *HNSW) Config() HNSWConfig { return h.cfg }

// hnswAgent is one agent's vectors and, once it is large enough, its graph. Slot i owns
// vecs[i*dim:(i+1)*dim]. Without a graph, slots are packed (removal swaps the last slot in);
// with one, slots only grow until a rebuild, and removed slots are tombstoned in dead.
type hnswAgent struct {
	mu      sync.RWMutex
	removed bool // RemoveAgent (or emptying) took it out of the map
	ids     []string
	pos     map[string]int32 // live ids only
	vecs    []uint16         // float16, see half.go
	hidden  []bool           // per slot: hidden from SearchShown (SetHidden)
	bnd     *bounds          // per slot: the scans' score bound (bound.go), from boundFrom slots

	graph  bool
	dead   []bool
	ndead  int
	links0 []int32   // per slot: count, then up to m0 neighbours
	upper  [][]int32 // per slot: for layers 1..level, count then up to M neighbours each
	entry  int32
	top    int   // level of entry
	linked int32 // slots below linked are in the graph (or were dead when reached)
	busy   bool  // a background linker runs for this agent
}

// ready reports whether every slot is linked, so searches may walk the graph.
func (a *hnswAgent) ready() bool { return a.graph && int(a.linked) == len(a.ids) }

func (a *hnswAgent) live() int { return len(a.pos) }

// agent returns agentID's agent, creating it if create is set.
func (h *HNSW) agent(agentID string, create bool) *hnswAgent {
	h.mu.RLock()
	a := h.agents[agentID]
	h.mu.RUnlock()
	if a != nil || !create {
		return a
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if a = h.agents[agentID]; a == nil {
		a = &hnswAgent{pos: make(map[string]int32), entry: -1}
		h.agents[agentID] = a
	}
	return a
}

// Add stores a normalized copy of vec under (agentID, id), replacing an existing id.
func (h *HNSW) Add(agentID, id string, vec []float32) {
	if len(vec) != h.dim {
		return
	}
	for {
		a := h.agent(agentID, true)
		a.mu.Lock()
		if a.removed { // lost a race with RemoveAgent or an emptying Remove: start again
			a.mu.Unlock()
			continue
		}
		h.add(a, id, vec)
		a.mu.Unlock()
		return
	}
}

func (h *HNSW) add(a *hnswAgent, id string, vec []float32) {
	d := h.dim
	old, exists := a.pos[id]
	if !a.graph {
		i := old
		if !exists {
			i = int32(len(a.ids))
			a.pos[id] = i
			a.ids = append(a.ids, id)
			a.vecs = append(a.vecs, make([]uint16, d)...)
			a.hidden = append(a.hidden, false)
		}
		storeHalf(a.vecs[int(i)*d:(int(i)+1)*d], vec)
		h.setBound(a, i)
		if a.live() >= h.cfg.ExactBelow {
			h.buildGraph(a)
		}
		return
	}
	hidden := false
	if exists {
		if unchanged(h.vec(a, old), vec) {
			return // a rewrite of the same vector (a status change, say) keeps its links
		}
		hidden = a.hidden[old]
		a.tombstone(old)
	}
	i := a.appendSlot(id, h.dim, h.m0)
	a.hidden[i] = hidden
	storeHalf(a.vecs[int(i)*d:(int(i)+1)*d], vec)
	h.setBound(a, i)
	a.pos[id] = i
	if a.ndead > a.live()/2 {
		h.rebuild(a)
		return
	}
	h.startLinker(a)
}

// setBound works out slot i's score bound once the agent keeps bounds, and starts keeping them
// (fitting the basis, about 10 ms at dimension 100) when it reaches boundFrom slots.
func (h *HNSW) setBound(a *hnswAgent, i int32) {
	if a.bnd != nil {
		a.bnd.set(int(i), h.vec(a, i))
		return
	}
	if len(a.ids) < boundFrom || h.dim < 2*boundDims || h.dim > boundMaxDim {
		return
	}
	basis := fitBoundBasis(a.vecs, len(a.ids), h.dim)
	if basis == nil {
		return
	}
	a.bnd = &bounds{basis: basis}
	for j := range a.ids {
		a.bnd.set(j, h.vec(a, int32(j)))
	}
}

// unchanged reports whether stored, a normalized float16 vector, is what normalizing vec gives.
func unchanged(stored []uint16, vec []float32) bool {
	var buf [1024]uint16
	hn := buf[:0]
	if len(vec) > len(buf) {
		hn = make([]uint16, len(vec))
	} else {
		hn = buf[:len(vec)]
	}
	storeHalf(hn, vec)
	return slices.Equal(stored, hn)
}

// linkHold bounds how long the background linker holds an agent's write lock: it links slots
// until linkHold has passed (at least one, at most linkBatch), so a search of the agent waits
// at most about that long, or one slot's linking (about 0.5-1 ms at dimension 100 and 1-3 ms at
// 612, on 100k vectors).
const (
	linkHold  = time.Millisecond
	linkBatch = 16
)

// linkPending links up to n pending slots, in slot order, skipping dead ones.
func (h *HNSW) linkPending(a *hnswAgent, n int) {
	ctx := ctxPool.Get().(*searchCtx)
	defer ctxPool.Put(ctx)
	for ; n > 0 && int(a.linked) < len(a.ids); n-- {
		if !a.dead[a.linked] {
			h.insert(a, a.linked, ctx)
		}
		a.linked++
	}
}

// startLinker starts the background linker of a, unless it runs. Call with a.mu held. Linking
// is background work: the linkers of all agents together run on at most half the cores (see
// NewHNSW), and each gives up the agent's lock after linkHold.
func (h *HNSW) startLinker(a *hnswAgent) {
	if a.busy {
		return
	}
	a.busy = true
	go func() {
		for {
			h.linkers <- struct{}{}
			a.mu.Lock()
			if a.removed || !a.graph || int(a.linked) == len(a.ids) {
				a.busy = false
				a.mu.Unlock()
				<-h.linkers
				return
			}
			h.linkFor(a, int32(len(a.ids)))
			a.mu.Unlock()
			<-h.linkers
			runtime.Gosched()
		}
	}()
}

// Settle links, in the caller's goroutine, the slots of agentID pending when it is called, taking
// the agent's write lock for about linkHold at a time; n is how many vectors the caller has just
// added. A writer that settles after its Adds (outside any lock of its own) pays for its own
// vectors' linking, so that a bulk load cannot outrun the graph, whose unlinked slots every
// search scans. It settles only a backlog of at most settleShare·n + linkBatch slots (its own and
// a concurrent writer's, say): a graph just started or rebuilt, with the whole agent pending, is
// left to the background linker, so that no single write pays for it.
func (h *HNSW) Settle(agentID string, n int) {
	a := h.agent(agentID, false)
	if a == nil || n <= 0 {
		return
	}
	a.mu.RLock()
	target := int32(len(a.ids))
	backlog := len(a.ids) - int(a.linked)
	a.mu.RUnlock()
	if backlog > settleShare*n+linkBatch {
		return
	}
	for {
		a.mu.Lock()
		if a.removed || !a.graph || a.linked >= target || int(a.linked) >= len(a.ids) {
			a.mu.Unlock()
			return
		}
		h.linkFor(a, target)
		a.mu.Unlock()
	}
}

// linkFor links pending slots below limit, in slot order, for one hold of a's write lock (which
// the caller holds): at least one slot, then more until linkHold has passed or linkBatch are
// linked.
func (h *HNSW) linkFor(a *hnswAgent, limit int32) {
	t0 := time.Now()
	for n := 0; n < linkBatch && a.linked < limit && int(a.linked) < len(a.ids) && (n == 0 || time.Since(t0) < linkHold); n++ {
		h.linkPending(a, 1)
	}
}

// settleShare is how many times its own vectors a writer's Settle links at most.
const settleShare = 4

// Flush links every pending slot of every agent now, so that searches walk the graphs from
// here on; an owner that has just loaded its vectors may call it rather than let the
// background linkers catch up.
func (h *HNSW) Flush() {
	agents := h.agentList()
	for _, a := range agents {
		a.mu.Lock()
		if a.graph && !a.removed {
			h.linkPending(a, len(a.ids))
		}
		a.mu.Unlock()
	}
}

// appendSlot adds an unlinked slot for id with a zero vector and returns it.
func (a *hnswAgent) appendSlot(id string, dim, m0 int) int32 {
	i := int32(len(a.ids))
	a.ids = append(a.ids, id)
	a.vecs = append(a.vecs, make([]uint16, dim)...)
	a.dead = append(a.dead, false)
	a.hidden = append(a.hidden, false)
	a.links0 = append(a.links0, make([]int32, m0+1)...)
	a.upper = append(a.upper, nil)
	return i
}

func (a *hnswAgent) tombstone(i int32) {
	a.dead[i] = true
	a.ndead++
	a.ids[i] = ""
}

// buildGraph gives a packed (graph-less) agent an empty graph and starts linking its slots
// into it: at once for a single slot, in the background otherwise.
func (h *HNSW) buildGraph(a *hnswAgent) {
	n := len(a.ids)
	a.graph = true
	a.dead = make([]bool, n)
	a.ndead = 0
	a.links0 = make([]int32, n*(h.m0+1))
	a.upper = make([][]int32, n)
	a.entry, a.top, a.linked = -1, 0, 0
	if n == 1 {
		h.linkPending(a, 1)
		return
	}
	h.startLinker(a)
}

// rebuild packs the live slots and rebuilds the graph from them, or leaves the agent graph-less
// when it has become small.
func (h *HNSW) rebuild(a *hnswAgent) {
	d := h.dim
	live := a.live()
	ids := make([]string, 0, live)
	vecs := make([]uint16, 0, live*d)
	hidden := make([]bool, 0, live)
	for i, id := range a.ids {
		if a.dead[i] {
			continue
		}
		if a.bnd != nil {
			a.bnd.move(len(ids), i)
		}
		a.pos[id] = int32(len(ids))
		ids = append(ids, id)
		vecs = append(vecs, a.vecs[i*d:(i+1)*d]...)
		hidden = append(hidden, a.hidden[i])
	}
	a.ids, a.vecs, a.hidden = ids, vecs, hidden
	if a.bnd != nil {
		a.bnd.truncate(live)
	}
	a.graph, a.dead, a.ndead, a.links0, a.upper, a.entry, a.top, a.linked = false, nil, 0, nil, nil, -1, 0, 0
	if live > 0 && live >= h.cfg.ExactBelow {
		h.buildGraph(a)
	}
}

// Remove deletes one id of agentID.
func (h *HNSW) Remove(agentID, id string) {
	a := h.agent(agentID, false)
	if a == nil {
		return
	}
	a.mu.Lock()
	i, ok := a.pos[id]
	if !ok || a.removed {
		a.mu.Unlock()
		return
	}
	delete(a.pos, id)
	if a.graph {
		a.tombstone(i)
		if a.live() < h.cfg.ExactBelow/2 || a.ndead > a.live()/2 {
			h.rebuild(a)
		}
	} else {
		d := h.dim
		last := int32(len(a.ids) - 1)
		if i != last {
			moved := a.ids[last]
			a.ids[i] = moved
			a.pos[moved] = i
			copy(a.vecs[int(i)*d:(int(i)+1)*d], a.vecs[int(last)*d:])
			a.hidden[i] = a.hidden[last]
			if a.bnd != nil {
				a.bnd.move(int(i), int(last))
			}
		}
		a.ids[last] = ""
		a.ids = a.ids[:last]
		a.vecs = a.vecs[:int(last)*d]
		a.hidden = a.hidden[:last]
		if a.bnd != nil {
			a.bnd.truncate(int(last))
		}
	}
	empty := a.live() == 0
	a.mu.Unlock()
	if !empty {
		return
	}
	// Drop the emptied agent, unless an Add refilled it meanwhile.
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.agents[agentID] != a {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live() == 0 {
		a.removed = true
		delete(h.agents, agentID)
	}
}

// RemoveAgent deletes every vector of agentID.
func (h *HNSW) RemoveAgent(agentID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.agents[agentID]
	if a == nil {
		return
	}
	delete(h.agents, agentID)
	a.mu.Lock()
	a.removed = true
	a.mu.Unlock()
}

// AgentStats is the state of one agent's part of an HNSW.
type AgentStats struct {
	Vectors  int  // live vectors
	Graph    bool // whether the agent has a graph (it is past ExactBelow)
	Unlinked int  // slots of the graph not linked yet, which searches scan
}

// Stats returns the state of agentID's vectors.
func (h *HNSW) Stats(agentID string) AgentStats {
	a := h.agent(agentID, false)
	if a == nil {
		return AgentStats{}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.removed {
		return AgentStats{}
	}
	st := AgentStats{Vectors: a.live(), Graph: a.graph}
	if a.graph {
		st.Unlinked = len(a.ids) - int(a.linked)
	}
	return st
}

// agentList returns the agents held now, so that a caller can lock each in turn without
// holding h.mu.
func (h *HNSW) agentList() []*hnswAgent {
	h.mu.RLock()
	defer h.mu.RUnlock()
	agents := make([]*hnswAgent, 0, len(h.agents))
	for _, a := range h.agents {
		agents = append(agents, a)
	}
	return agents
}

// Unlinked returns how many vectors of all agents' graphs are not linked yet: the background
// linkers' backlog, which searches scan until it is linked.
func (h *HNSW) Unlinked() int {
	agents := h.agentList()
	n := 0
	for _, a := range agents {
		a.mu.RLock()
		if a.graph && !a.removed {
			n += len(a.ids) - int(a.linked)
		}
		a.mu.RUnlock()
	}
	return n
}

// Len returns how many vectors agentID has.
func (h *HNSW) Len(agentID string) int {
	a := h.agent(agentID, false)
	if a == nil {
		return 0
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.removed {
		return 0
	}
	return a.live()
}

// Search returns up to k ids of agentID by cosine similarity to query, best first, among those
// for which keep(id) is true.
func (h *HNSW) Search(agentID string, query []float32, k int, keep func(id string) bool) []Result {
	return h.search(agentID, query, k, keep, false)
}

// SearchShown is Search among the vectors not hidden (SetHidden). An owner that hides what most
// of its searches would filter out (a store's passages that are no longer valid) spares those
// searches a keep call per candidate, which looks the id up in the owner's own maps: at 100k
// vectors a third of a scan's time.
func (h *HNSW) SearchShown(agentID string, query []float32, k int, keep func(id string) bool) []Result {
	return h.search(agentID, query, k, keep, true)
}

// SetHidden hides the vector of (agentID, id) from SearchShown, or shows it again; an absent id
// is ignored. A vector is shown when added, and a new vector under the same id keeps the flag.
func (h *HNSW) SetHidden(agentID, id string, hidden bool) {
	a := h.agent(agentID, false)
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.pos[id]; ok && !a.removed {
		a.hidden[i] = hidden
	}
}

// Hidden reports whether the vector of (agentID, id) is hidden (SetHidden); ok is false when
// there is none.
func (h *HNSW) Hidden(agentID, id string) (hidden, ok bool) {
	a := h.agent(agentID, false)
	if a == nil {
		return false, false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	i, ok := a.pos[id]
	if !ok || a.removed {
		return false, false
	}
	return a.hidden[i], true
}

func (h *HNSW) search(agentID string, query []float32, k int, keep func(id string) bool, shownOnly bool) []Result {
	if k <= 0 || len(query) != h.dim {
		return nil
	}
	q := make([]float32, h.dim)
	normalizeInto(q, query)
	a := h.agent(agentID, false)
	if a == nil {
		return nil
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.removed || a.live() == 0 {
		return nil
	}
	ctx := ctxPool.Get().(*searchCtx)
	defer ctxPool.Put(ctx)
	var hidden []bool
	if shownOnly {
		hidden = a.hidden
	}
	return h.searchAgent(a, q, k, keep, hidden, ctx)
}

// searchAgent answers the normalized query q for k results in a, which the caller holds
// read-locked. It walks the graph when that is expected to cost less than a scan: the walk of
// width ef plus an exact scan of the slots not linked yet (a graph that the linker has not caught
// up with still answers, its newest vectors scanned), and scans every vector otherwise.
func (h *HNSW) searchAgent(a *hnswAgent, q []float32, k int, keep func(string) bool, hidden []bool, ctx *searchCtx) []Result {
	if h.scans(a, k) {
		return clampScores(scanTopK(q, h.dim, a.ids, a.vecs, k, keep, a.dead, hidden))
	}
	pending := len(a.ids) - int(a.linked)
	res, ok := h.searchGraph(a, q, k, keep, hidden, ctx)
	if !ok {
		return clampScores(scanTopK(q, h.dim, a.ids, a.vecs, k, keep, a.dead, hidden))
	}
	if pending > 0 {
		l := int(a.linked)
		var hid []bool
		if hidden != nil {
			hid = hidden[l:]
		}
		res = mergeTop(res, scanTopK(q, h.dim, a.ids[l:], a.vecs[l*h.dim:], k, keep, a.dead[l:], hid), k)
	}
	return clampScores(res)
}

// scans reports whether a search of a for k results scans every vector rather than walk the
// graph: a has no graph yet, or the walk and the scan of its unlinked slots would cost as much.
func (h *HNSW) scans(a *hnswAgent, k int) bool {
	pending := len(a.ids) - int(a.linked)
	return !a.graph || a.entry < 0 || (h.ef(k)*scanWorkPerEf/h.dim+pending >= a.live() && !h.graphOnly)
}

// mergeTop returns the k best of two lists ordered best first (see worse).
func mergeTop(x, y []Result, k int) []Result {
	out := make([]Result, 0, min(k, len(x)+len(y)))
	for len(out) < cap(out) {
		if len(y) == 0 || (len(x) > 0 && !worse(x[0], y[0])) {
			out, x = append(out, x[0]), x[1:]
		} else {
			out, y = append(out, y[0]), y[1:]
		}
	}
	return out
}

// searchGraph runs a query down the graph. ok is false when the search found fewer than k kept
// results or gave up after visiting half the agent; the caller then scans.
func (h *HNSW) searchGraph(a *hnswAgent, q []float32, k int, keep func(string) bool, hidden []bool, ctx *searchCtx) (res []Result, ok bool) {
	ep := a.entry
	epSim := dotHalf(q, h.vec(a, ep))
	for l := a.top; l > 0; l-- {
		ep, epSim = h.greedy(a, q, ep, epSim, l)
	}
	ef := h.ef(k)
	accept := func(i int32) bool {
		return !a.dead[i] && (hidden == nil || !hidden[i]) && (keep == nil || keep(a.ids[i]))
	}
	budget := len(a.ids) / 2
	if h.graphOnly {
		budget = 0
	}
	if !h.searchLayer(a, q, []cand{{epSim, ep}}, ef, 0, accept, budget, ctx) || len(ctx.w) < k {
		return nil, false
	}
	res = make([]Result, len(ctx.w))
	for j, c := range ctx.w {
		res[j] = Result{ID: a.ids[c.id], Score: float64(c.sim)}
	}
	slices.SortFunc(res, bestFirst)
	return res[:k], true
}

// scanWorkPerEf is how many floats an exact scan gets through in the time a graph search spends
// per unit of ef. Measured (M=32, efConstruction=200, text-like vectors): a graph search costs
// about 4.5 µs per unit of ef at both dimension 100 (100k vectors) and 512 (20k vectors) -- it
// waits on memory more than it computes -- while a scan costs about 0.15 ns per float. So a
// search of width ef is worth a scan of ef·30,000/dim vectors: 300 at dimension 100. Both were
// measured on float32 vectors; float16 halves what both read (BenchmarkDotRowsHalf: a 100k scan
// 1.8 → 0.7 ms), so the crossover has moved little, and it was not measured again.
const scanWorkPerEf = 30_000

// ef returns the search width of a query for k results. Top-k recall at width k is poor on
// crowded vectors; 2k brings it to about 0.95 (see BenchmarkHNSWSearch).
func (h *HNSW) ef(k int) int { return max(h.cfg.EfSearch, 2*k) }

func (h *HNSW) vec(a *hnswAgent, i int32) []uint16 {
	d := h.dim
	return a.vecs[int(i)*d : (int(i)+1)*d : (int(i)+1)*d]
}

// neighbours returns slot i's neighbour list on layer l, with its count at index 0 and room for
// the layer's maximum.
func (h *HNSW) neighbours(a *hnswAgent, i int32, l int) []int32 {
	if l == 0 {
		w := h.m0 + 1
		return a.links0[int(i)*w : (int(i)+1)*w : (int(i)+1)*w]
	}
	w := h.cfg.M + 1
	return a.upper[i][(l-1)*w : l*w : l*w]
}

// level draws the level of id: the floor of -ln(u)·mL for u uniform in (0, 1], from a hash.
func (h *HNSW) level(id string) int {
	x := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(id); i++ {
		x ^= uint64(id[i])
		x *= 1099511628211
	}
	x ^= h.cfg.Seed * 0x9e3779b97f4a7c15
	x ^= x >> 30 // splitmix64 finalizer
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	u := float64(x>>11+1) / (1 << 53)
	return min(int(-math.Log(u)*h.ml), 30)
}

// greedy walks layer l from ep to a local maximum of similarity to q.
func (h *HNSW) greedy(a *hnswAgent, q []float32, ep int32, epSim float32, l int) (int32, float32) {
	for moved := true; moved; {
		moved = false
		nb := h.neighbours(a, ep, l)
		for _, n := range nb[1 : 1+nb[0]] {
			if s := dotHalf(q, h.vec(a, n)); s > epSim {
				ep, epSim, moved = n, s, true
			}
		}
	}
	return ep, epSim
}

// insert links slot i, whose vector is in place, into the graph.
func (h *HNSW) insert(a *hnswAgent, i int32, ctx *searchCtx) {
	lvl := h.level(a.ids[i])
	if lvl > 0 {
		a.upper[i] = make([]int32, lvl*(h.cfg.M+1))
	}
	if a.entry < 0 {
		a.entry, a.top = i, lvl
		return
	}
	q := decodeHalf(ctx.base(h.dim), h.vec(a, i))
	ep := a.entry
	epSim := dotHalf(q, h.vec(a, ep))
	for l := a.top; l > lvl; l-- {
		ep, epSim = h.greedy(a, q, ep, epSim, l)
	}
	eps := []cand{{epSim, ep}}
	notDead := func(j int32) bool { return !a.dead[j] }
	for l := min(lvl, a.top); l >= 0; l-- {
		h.searchLayer(a, q, eps, h.cfg.EfConstruction, l, notDead, 0, ctx)
		w := ctx.w
		if len(w) == 0 { // every vector reached is tombstoned: keep the walk going
			eps = []cand{{epSim, ep}}
			continue
		}
		slices.SortFunc(w, byCloser)
		eps = append(eps[:0], w...)
		sel := append(ctx.links[:0], h.selectNeighbours(a, w, h.cfg.M, ctx)...)
		ctx.links = sel
		nb := h.neighbours(a, i, l)
		nb[0] = int32(len(sel))
		for j, c := range sel {
			nb[1+j] = c.id
		}
		for _, c := range sel {
			h.addLink(a, c.id, i, c.sim, l, ctx)
		}
	}
	if lvl > a.top {
		a.entry, a.top = i, lvl
	}
}

// selectNeighbours picks up to m of cands (sorted best first, with similarities to the base
// vector) by the HNSW heuristic: a candidate is kept unless it is more similar to an already
// kept one than to the base, which spreads links across directions.
func (h *HNSW) selectNeighbours(a *hnswAgent, cands []cand, m int, ctx *searchCtx) []cand {
	if len(cands) <= m {
		return cands
	}
	out := ctx.sel[:0]
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		cv := decodeHalf(ctx.other(h.dim), h.vec(a, c.id))
		good := true
		for _, r := range out {
			if dotHalf(cv, h.vec(a, r.id)) > c.sim {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
		}
	}
	ctx.sel = out
	return out
}

// addLink adds slot i to n's neighbours on layer l (sim is their similarity), pruning n's list
// by the heuristic when it is full.
func (h *HNSW) addLink(a *hnswAgent, n, i int32, sim float32, l int, ctx *searchCtx) {
	nb := h.neighbours(a, n, l)
	cnt := int(nb[0])
	if cnt < len(nb)-1 {
		nb[1+cnt] = i
		nb[0]++
		return
	}
	nv := decodeHalf(ctx.other(h.dim), h.vec(a, n))
	cands := append(ctx.prune[:0], cand{sim, i})
	for _, j := range nb[1 : 1+cnt] {
		cands = append(cands, cand{dotHalf(nv, h.vec(a, j)), j})
	}
	slices.SortFunc(cands, byCloser)
	sel := h.selectNeighbours(a, cands, len(nb)-1, ctx)
	nb[0] = int32(len(sel))
	for j, c := range sel {
		nb[1+j] = c.id
	}
	ctx.prune = cands
}

// searchLayer is the beam search of layer l from eps: it leaves in ctx.w up to ef accepted
// slots, the most similar to q it found. Slots that accept rejects are walked through but take
// no place in ctx.w, so the beam widens past them. With budget > 0 it stops, returning false,
// once it has visited budget slots.
func (h *HNSW) searchLayer(a *hnswAgent, q []float32, eps []cand, ef, l int, accept func(int32) bool, budget int, ctx *searchCtx) bool {
	ctx.visit.reset(len(a.ids))
	c := ctx.c[:0] // max-heap of candidates to expand
	w := ctx.w[:0] // min-heap of results
	visited := 0
	for _, e := range eps {
		if ctx.visit.mark(e.id) {
			continue
		}
		visited++
		c = pushMax(c, e)
		if accept(e.id) {
			w = pushMin(w, e)
			if len(w) > ef {
				w = popMin(w)
			}
		}
	}
	ok := true
	for len(c) > 0 {
		cur := c[0]
		c = popMax(c)
		if len(w) >= ef && cur.sim < w[0].sim {
			break
		}
		// Gather the unvisited neighbours, then score them in one tight loop, so that the
		// loads of their vectors (cache misses, mostly) overlap.
		nb := h.neighbours(a, cur.id, l)
		fresh := ctx.fresh[:0]
		for _, n := range nb[1 : 1+nb[0]] {
			if !ctx.visit.mark(n) {
				fresh = append(fresh, cand{0, n})
			}
		}
		for j := range fresh {
			fresh[j].sim = dotHalf(q, h.vec(a, fresh[j].id))
		}
		ctx.fresh = fresh
		visited += len(fresh)
		for _, f := range fresh {
			s, n := f.sim, f.id
			if len(w) < ef || s > w[0].sim {
				c = pushMax(c, cand{s, n})
				if accept(n) {
					w = pushMin(w, cand{s, n})
					if len(w) > ef {
						w = popMin(w)
					}
				}
			}
		}
		if budget > 0 && visited >= budget {
			ok = false
			break
		}
	}
	ctx.c, ctx.w = c, w
	return ok
}

// cand is a slot and its similarity to the vector being searched for.
type cand struct {
	sim float32
	id  int32
}

func byCloser(x, y cand) int {
	switch {
	case x.sim > y.sim:
		return -1
	case x.sim < y.sim:
		return 1
	}
	return int(x.id) - int(y.id)
}

func pushMax(h []cand, x cand) []cand {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].sim >= h[i].sim {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func popMax(h []cand) []cand {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		b, l, r := i, 2*i+1, 2*i+2
		if l < n && h[l].sim > h[b].sim {
			b = l
		}
		if r < n && h[r].sim > h[b].sim {
			b = r
		}
		if b == i {
			return h
		}
		h[i], h[b] = h[b], h[i]
		i = b
	}
}

func pushMin(h []cand, x cand) []cand {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].sim <= h[i].sim {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func popMin(h []cand) []cand {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		b, l, r := i, 2*i+1, 2*i+2
		if l < n && h[l].sim < h[b].sim {
			b = l
		}
		if r < n && h[r].sim < h[b].sim {
			b = r
		}
		if b == i {
			return h
		}
		h[i], h[b] = h[b], h[i]
		i = b
	}
}

// searchCtx is the scratch space of one search or insert.
type searchCtx struct {
	visit visitSet
	c, w  []cand
	sel   []cand
	prune []cand
	links []cand
	fresh []cand
	// Linking compares stored vectors, which are float16: the one being linked (base) and one
	// other at a time (other) are widened into these.
	baseBuf, otherBuf []float32
}

// base and other return the context's buffers for a widened vector of dimension dim.
func (c *searchCtx) base(dim int) []float32 {
	if len(c.baseBuf) < dim {
		c.baseBuf = make([]float32, dim)
	}
	return c.baseBuf[:dim]
}

func (c *searchCtx) other(dim int) []float32 {
	if len(c.otherBuf) < dim {
		c.otherBuf = make([]float32, dim)
	}
	return c.otherBuf[:dim]
}

func newSearchCtx() *searchCtx { return &searchCtx{} }

var ctxPool = sync.Pool{New: func() any { return newSearchCtx() }}

// visitSet marks slots visited in the current search by stamping them with its generation.
type visitSet struct {
	gen   uint32
	marks []uint32
}

func (v *visitSet) reset(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint32, n+n/4)
		v.gen = 0
	}
	v.gen++
	if v.gen == 0 {
		clear(v.marks)
		v.gen = 1
	}
}

// mark marks slot i and reports whether it was already marked.
func (v *visitSet) mark(i int32) bool {
	if v.marks[i] == v.gen {
		return true
	}
	v.marks[i] = v.gen
	return false
}
