package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/memsvc/memsvc/bench"
)

const benchUsage = `usage: memsvc bench <locomo|beam|stale|updates|summary|load> [flags]

  locomo   LoCoMo evidence retrieval (R@k, hit@k, session R@k per category; wrong-speaker@1)
  beam     BEAM knowledge updates and contradictions (updated@10, current-first@10, both@10, marked@10)
  stale    seeded stale-fact streams (current@1, stale@5, MRR per variant)
  updates  seeded update chains of technical facts, alone and among unrelated memories (newest@1, clean@5)
  summary  running summaries of LoCoMo conversations paged through a window: facts kept, evidence found in summaries
  load     concurrent agents over HTTP (p50/p95/p99, rps, peak RSS) and a corpus-size ladder

Run 'memsvc bench <suite> -h' for the suite's flags.`

// locomoRel is where the LoCoMo development data lives relative to the repository's parent.
const locomoRel = "data/locomo/locomo-dev.json"

// beamRel is where the BEAM development data lives relative to the repository's parent.
const beamRel = "data/beam/beam-500k-user.json"

// runBench parses `memsvc bench <suite> [flags]`, runs the suite and prints its table (or one
// JSON object with --json) on stdout; progress goes to stderr.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, benchUsage)
		if len(args) == 0 {
			return errors.New("bench: no suite")
		}
		return nil
	}
	suite := args[0]
	fs := flag.NewFlagSet("memsvc bench "+suite, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		jsonOut  = fs.Bool("json", false, "print exactly one JSON object on stdout instead of tables")
		plotPath = fs.String("plot", "", "also draw the figures into `FILE`.svg or .png")
		store    = fs.String("store", "embedded", "embedded (a fresh temporary directory) or a postgres:// URL")
		modes    = fs.String("modes", "bm25,relevance,hybrid,full", "retrieval modes, comma-separated: bm25, relevance, hybrid, full (or all), and the ablations hybrid+recency, hybrid+subject, hybrid+validity, hybrid+predicate (or ablations)")
		seed     = fs.Int64("seed", 1, "seed of generated data and sampling")
		quiet    = fs.Bool("quiet", false, "no progress bar (an occasional progress line still goes to stderr)")
		workers  = fs.Int("workers", 2, "searches run at once")
		embedder = fs.String("embedder", "builtin", localEmbedderHelp+" (figures hold for the embedder they were measured with)")
		ollama   = fs.String("ollama-url", "http://127.0.0.1:11434", "Ollama server URL, for --embedder ollama:<model>")
		openai   = fs.String("openai-url", defaultOpenAIURL, "OpenAI-compatible API base URL (…/v1), for --embedder openai:<model>; key in "+openAIKeyEnv)
	)
	var run func(bench.Common) (bench.Result, error)
	switch suite {
	case "locomo":
		data := fs.String("data", "", "LoCoMo JSON `FILE` (default ../shared/"+locomoRel+", or $MEMSVC_SHARED/"+locomoRel+")")
		convs := fs.Int("conversations", 0, "run only the first N conversations (0: all)")
		turnCtx := fs.Bool("turn-context", true, "store each turn with the turn before it as its context (false: each turn alone)")
		recall := fs.Bool("recall", false, "also append the turns to agents through the pager as messages and ask the questions of recall search")
		run = func(c bench.Common) (bench.Result, error) {
			path, cs, err := readLocomo(*data)
			if err != nil {
				return nil, err
			}
			return bench.RunLocomo(ctx, bench.LocomoConfig{Common: c, Path: path, Data: cs, Conversations: *convs,
				NoTurnContext: !*turnCtx, Recall: *recall})
		}
	case "beam":
		data := fs.String("data", "", "BEAM JSON `FILE` (default ../shared/"+beamRel+", or $MEMSVC_SHARED/"+beamRel+")")
		chats := fs.Int("chats", 0, "run only the first N chats (0: all)")
		recall := fs.Bool("recall", false, "also append the messages to agents through the pager and ask the probes of recall search")
		run = func(c bench.Common) (bench.Result, error) {
			path, err := sharedPath(*data, beamRel, "BEAM")
			if err != nil {
				return nil, err
			}
			cs, err := bench.LoadBeam(path)
			if err != nil {
				return nil, err
			}
			return bench.RunBeam(ctx, bench.BeamConfig{Common: c, Path: path, Data: cs, Chats: *chats, Recall: *recall})
		}
	case "stale":
		subjects := fs.Int("subjects", 200, "people in all")
		perAgent := fs.Int("per-agent", 20, "people per agent (stream)")
		updates := fs.Int("updates", 5, "the most values one attribute takes (2 to 10)")
		decoys := fs.Int("decoys", 3, "near-miss facts per person")
		noise := fs.Int("noise", 4, "unrelated sentences per person")
		variants := fs.String("variants", "", "variants to run, comma-separated (default all: "+staleVariantNames()+")")
		run = func(c bench.Common) (bench.Result, error) {
			return bench.RunStale(ctx, bench.StaleConfig{Common: c, Variants: splitList(*variants),
				Gen: bench.StaleGenConfig{Subjects: *subjects, PerAgent: *perAgent, Updates: *updates, Decoys: *decoys, Noise: *noise}})
		}
	case "updates":
		chains := fs.Int("chains", 120, "update chains in all")
		perAgent := fs.Int("per-agent", 12, "chains per crowded agent")
		filler := fs.Int("filler", 1000, "unrelated memories per crowded agent")
		run = func(c bench.Common) (bench.Result, error) {
			f := *filler
			if f == 0 {
				f = -1 // none: the generator's zero is its default
			}
			return bench.RunUpdates(ctx, bench.UpdatesConfig{Common: c,
				Gen: bench.UpdatesGenConfig{Chains: *chains, PerAgent: *perAgent, Filler: f}})
		}
	case "summary":
		data := fs.String("data", "", "LoCoMo JSON `FILE` (default ../shared/"+locomoRel+", or $MEMSVC_SHARED/"+locomoRel+")")
		convs := fs.Int("conversations", 0, "run only the first N conversations (0: all)")
		window := fs.Int("window", 2048, "the agents' context window in tokens")
		run = func(c bench.Common) (bench.Result, error) {
			path, cs, err := readLocomo(*data)
			if err != nil {
				return nil, err
			}
			return bench.RunSummary(ctx, bench.SummaryConfig{Common: c, Path: path, Data: cs, Conversations: *convs, Window: *window})
		}
	case "load":
		duration := fs.Duration("duration", 10*time.Second, "length of the concurrent phase")
		agents := fs.Int("agents", 8, "concurrent agents (closed-loop clients)")
		url := fs.String("url", "", "a running memsvc (default: start one in-process on --store)")
		apiKey := fs.String("api-key", "", "API key for --url, sent as a bearer token")
		ladder := fs.String("ladder", "1000,10000", "corpus sizes for the search-latency ladder, e.g. 1000,10000,100000 (empty: none)")
		ladderQueries := fs.Int("ladder-queries", 100, "searches timed per mode at each ladder size")
		ladderAgents := fs.Int("ladder-agents", 1, "agents grown alike through the ladder (its sizes are per agent): 100 agents to 10000 hold 1M passages")
		seedPassages := fs.Int("seed-passages", 200, "archival passages stored per agent before the run")
		window := fs.Int("window", 2048, "each agent's context window in tokens")
		rates := fs.String("rates", "", "open-loop append rates per second, e.g. 1000,3000: each offered for --rate-duration over the agents (empty: none)")
		rateDuration := fs.Duration("rate-duration", 5*time.Second, "how long each open-loop rate is offered")
		profile := fs.String("profile", "", "write CPU profiles (pprof) of each ladder fill and search phase into `DIR`; meaningful only for the in-process server")
		run = func(c bench.Common) (bench.Result, error) {
			sizes, err := parseSizes("ladder", *ladder)
			if err != nil {
				return nil, err
			}
			rs, err := parseSizes("rates", *rates)
			if err != nil {
				return nil, err
			}
			return bench.RunLoad(ctx, bench.LoadConfig{Common: c, URL: *url, APIKey: *apiKey, Duration: *duration, Agents: *agents,
				Ladder: sizes, LadderQueries: *ladderQueries, LadderAgents: *ladderAgents, SeedPassages: *seedPassages, Window: *window,
				Rates: rs, RateDuration: *rateDuration, ProfileDir: *profile})
		}
	default:
		fmt.Fprintln(stderr, benchUsage)
		return fmt.Errorf("bench: unknown suite %q", suite)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments: %v", fs.Args())
	}
	ms, err := bench.ParseModes(*modes)
	if err != nil {
		return fmt.Errorf("bench: --modes: %w", err)
	}
	if *plotPath != "" {
		if suite == "beam" || suite == "updates" {
			return fmt.Errorf("bench: %s draws no plot; use the table or --json", suite)
		}
		if ext := strings.ToLower(filepath.Ext(*plotPath)); ext != ".svg" && ext != ".png" {
			return fmt.Errorf("bench: --plot %s: want a .svg or .png file", *plotPath)
		}
	}
	emb, err := newEmbedder(ctx, *embedder, endpoints{Ollama: *ollama, OpenAI: *openai}, nil)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res, err := run(bench.Common{Store: *store, Modes: ms, Seed: *seed, Progress: stderr,
		Bar: !*quiet && isTerminal(stderr), Workers: *workers, Embedder: emb})
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if err := res.WritePlot(*plotPath); err != nil {
			return fmt.Errorf("bench: plot: %w", err)
		}
		fmt.Fprintln(stderr, "bench: wrote", *plotPath)
	}
	if *jsonOut {
		return bench.WriteJSON(stdout, res)
	}
	return res.WriteTable(stdout)
}

// locomoPath returns the data file: flag if set, else the first that exists of
// ../shared/<locomoRel> from the working directory, the same beside the repository root (the
// nearest parent holding go.mod), and $MEMSVC_SHARED/<locomoRel>.
func locomoPath(flagValue string) (string, error) { return sharedPath(flagValue, locomoRel, "LoCoMo") }

// readLocomo finds the LoCoMo data (locomoPath) and loads it.
func readLocomo(flagValue string) (string, []bench.Conversation, error) {
	path, err := locomoPath(flagValue)
	if err != nil {
		return "", nil, err
	}
	cs, err := bench.LoadLocomo(path)
	return path, cs, err
}

// sharedPath is locomoPath for any data file rel under the shared directory, called name in errors.
func sharedPath(flagValue, rel, name string) (string, error) {
	if flagValue != "" {
		if _, err := os.Stat(flagValue); err != nil {
			return "", fmt.Errorf("bench: --data: %w", err)
		}
		return flagValue, nil
	}
	var tried []string
	candidates := []string{filepath.Join("..", "shared", rel)}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				candidates = append(candidates, filepath.Join(dir, "..", "shared", rel))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if sh := os.Getenv("MEMSVC_SHARED"); sh != "" {
		candidates = append(candidates, filepath.Join(sh, rel))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
		tried = append(tried, c)
	}
	return "", fmt.Errorf("bench: %s data not found (tried %s): pass --data FILE or set MEMSVC_SHARED to the shared directory",
		name, strings.Join(tried, ", "))
}

func parseSizes(flag, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bench: --%s: %q is not a positive number", flag, f)
		}
		out = append(out, n)
	}
	if out == nil {
		out = []int{} // an empty ladder, not the default
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func staleVariantNames() string {
	var names []string
	for _, v := range bench.StaleVariants {
		names = append(names, v.Name)
	}
	return strings.Join(names, ",")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
