package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	msclient "github.com/memsvc/memsvc/client"
	"github.com/memsvc/memsvc/pager"
)

const transferUsage = `usage:
  memsvc export --agent ID [--out FILE]               write the agent's export (memsvc.agent JSON)
  memsvc import FILE                                  import an export, or a Letta Agent File (.af)
  memsvc import --agent ID --transcript FILE|-        append a transcript (JSON lines of messages:
                                                      {"role", "content", …}) with a progress bar

Each talks to a running memsvc: --url (MEMSVC_URL, default http://127.0.0.1:8080) with the key in
MEMSVC_API_KEY (--api-key).`

// transferFlags are the flags export and import share.
type transferFlags struct {
	fs                   *flag.FlagSet
	url, key, agent, out string
	transcript           string
	batch                int
	stderr               io.Writer
}

func newTransferFlags(name string, stderr io.Writer) *transferFlags {
	f := &transferFlags{fs: flag.NewFlagSet("memsvc "+name, flag.ContinueOnError), stderr: stderr}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() { fmt.Fprintln(stderr, transferUsage) }
	f.fs.StringVar(&f.url, "url", envOr("MEMSVC_URL", "http://127.0.0.1:8080"), "the memsvc server")
	f.fs.StringVar(&f.key, "api-key", os.Getenv("MEMSVC_API_KEY"), "API key (prefer MEMSVC_API_KEY: flags show in ps)")
	f.fs.StringVar(&f.agent, "agent", "", "the agent")
	f.fs.StringVar(&f.out, "out", "", "export: write here instead of stdout")
	f.fs.StringVar(&f.transcript, "transcript", "", "import: a transcript to append, JSON lines (- for stdin)")
	f.fs.IntVar(&f.batch, "batch", 64, "import --transcript: messages per append")
	return f
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (f *transferFlags) client() *msclient.Client {
	return msclient.New(f.url, msclient.WithAPIKey(f.key))
}

// runExport writes an agent's export document.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newTransferFlags("export", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.agent == "" || f.fs.NArg() > 0 {
		f.fs.Usage()
		return errors.New("export: name the agent with --agent ID")
	}
	doc, err := f.client().ExportAgent(ctx, f.agent)
	if err != nil {
		return err
	}
	w := stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported agent %s: %d blocks, %d messages, %d summaries, %d passages\n",
		doc.Agent.ID, len(doc.Blocks), len(doc.Messages), len(doc.Summaries), len(doc.Passages))
	return nil
}

// runImport imports an export or a Letta Agent File, or appends a transcript.
func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f := newTransferFlags("import", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	c := f.client()
	if f.transcript != "" {
		if f.agent == "" {
			return errors.New("import --transcript: name the agent with --agent ID")
		}
		return importTranscript(ctx, c, f, stdin, stderr)
	}
	if f.fs.NArg() != 1 {
		f.fs.Usage()
		return errors.New("import: name one file (an export, or a Letta .af)")
	}
	data, err := readInput(f.fs.Arg(0), stdin)
	if err != nil {
		return err
	}
	var probe struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("import: %s is not JSON: %w", f.fs.Arg(0), err)
	}
	var v pager.AgentView
	if probe.Format == pager.ExportFormat {
		var doc pager.Export
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&doc); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		v, err = c.ImportAgent(ctx, doc)
	} else {
		v, err = c.ImportLetta(ctx, data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, v.ID)
	fmt.Fprintf(stderr, "imported agent %s (%s)\n", v.ID, v.Name)
	return nil
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// importTranscript appends a JSON-lines transcript in batches, showing progress on stderr. Each
// batch carries an Idempotency-Key made from the file's line numbers, so a rerun after a failure
// does not append the batches the server already took twice (within the server's idempotency
// window).
func importTranscript(ctx context.Context, c *msclient.Client, f *transferFlags, stdin io.Reader, stderr io.Writer) error {
	data, err := readInput(f.transcript, stdin)
	if err != nil {
		return err
	}
	var msgs []pager.MessageInput
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), pager.MaxContentBytes+(64<<10))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var m pager.MessageInput
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("import: %s line %d: %w", f.transcript, line, err)
		}
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("import: %s: %w", f.transcript, err)
	}
	batch := min(max(f.batch, 1), pager.MaxMessagesPerAppend)
	bar := progress{w: stderr, total: len(msgs)}
	for lo := 0; lo < len(msgs); lo += batch {
		hi := min(lo+batch, len(msgs))
		key := fmt.Sprintf("transcript-%s-%d-%d-%d", f.agent, len(msgs), lo, hi)
		if _, err := c.Append(msclient.WithIdempotencyKey(ctx, key), f.agent, msgs[lo:hi]...); err != nil {
			bar.done()
			return fmt.Errorf("import: messages %d to %d: %w", lo+1, hi, err)
		}
		bar.set(hi)
	}
	bar.done()
	fmt.Fprintf(stderr, "appended %d messages to agent %s\n", len(msgs), f.agent)
	return nil
}

// progress draws a one-line progress bar.
type progress struct {
	w     io.Writer
	total int
	unit  string // what is counted, plural ("messages" when empty)
}

func (p progress) set(n int) {
	const width = 30
	fill := width
	if p.total > 0 {
		fill = width * n / p.total
	}
	unit := p.unit
	if unit == "" {
		unit = "messages"
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s", strings.Repeat("#", fill), strings.Repeat(" ", width-fill), n, p.total, unit)
}

func (p progress) done() { fmt.Fprintln(p.w) }
