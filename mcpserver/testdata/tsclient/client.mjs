// Drives memsvc's MCP server with the official TypeScript SDK client, over Streamable HTTP or
// stdio, and checks every answer. mcpserver's Go test (TestTypeScriptClient) starts the server
// and runs this script; it exits non-zero, saying why, at the first wrong answer.
//
// Environment:
//   MODE          http | stdio
//   AGENT         the agent's ID; it has a block "human" whose value is "Name: Ada."
//   TOOLS         JSON array of the tool names memsvc serves (pager.ToolDefs)
//   URL, KEY      (http) the /mcp URL and a valid API key
//   WRONG_KEYS    (http) JSON array of keys that must be refused: unknown, or another tenant's
//   COMMAND, ARGS (stdio) the memsvc binary and its arguments (JSON array); KEY and WRONG_KEY go
//                 in MEMSVC_API_KEY
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const env = process.env;
const mode = env.MODE;
const agent = env.AGENT;

function check(cond, what, got) {
  if (!cond) {
    throw new Error(`${mode}: ${what}; got ${JSON.stringify(got)}`);
  }
}

function transport(key) {
  if (mode === "http") {
    return new StreamableHTTPClientTransport(new URL(env.URL), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    });
  }
  return new StdioClientTransport({
    command: env.COMMAND,
    args: JSON.parse(env.ARGS),
    env: { ...process.env, MEMSVC_API_KEY: key },
    stderr: "pipe",
  });
}

async function connect(key) {
  const client = new Client({ name: "memsvc-ts-test", version: "1.0.0" });
  await client.connect(transport(key));
  return client;
}

function text(res) {
  return res.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

const report = { mode };
const client = await connect(env.KEY);
report.server = client.getServerVersion();
check(client.getInstructions()?.includes("archival"), "the server gives instructions", client.getInstructions());

// The tools: the same names as GET …/tools, each with an object input schema.
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
check(JSON.stringify(names) === JSON.stringify(JSON.parse(env.TOOLS).sort()), "tools/list names every memory tool", names);
for (const t of tools) {
  check(t.inputSchema?.type === "object" && t.description, `tool ${t.name} has a description and an object schema`, t);
}
report.tools = names;

// Every tool, called.
const call = (name, args) => client.callTool({ name, arguments: args });
let res = await call("archival_memory_insert", { content: "Alice lives in Paris.", key: "alice/city" });
check(!res.isError && /Stored in archival memory as psg_/.test(text(res)), "archival_memory_insert stores", res);
const passageId = res.structuredContent?.id;
check(typeof passageId === "string" && passageId.startsWith("psg_"), "archival_memory_insert answers the passage", res);
res = await call("archival_memory_search", { query: "Where does Alice live?" });
check(!res.isError && text(res).includes("Alice lives in Paris."), "archival_memory_search finds the passage", res);
res = await call("conversation_search", { query: "hello" });
check(!res.isError, "conversation_search answers", res);
res = await call("core_memory_append", { label: "human", content: "Likes tea." });
check(!res.isError, "core_memory_append appends", res);
res = await call("core_memory_replace", { label: "human", old_content: "Likes tea.", new_content: "Likes green tea." });
check(!res.isError, "core_memory_replace replaces", res);
res = await call("memory_invalidate", { passage_id: passageId, reason: "She moved." });
check(!res.isError, "memory_invalidate invalidates", res);
res = await call("archival_memory_search", { query: "Where does Alice live?" });
check(!text(res).includes("Alice lives in Paris.") || /invalid/i.test(text(res)), "the invalidated passage is not shown as valid", res);
// A bad argument is a tool error the model can read, not a protocol error.
res = await call("archival_memory_search", {});
check(res.isError === true && /query/.test(text(res)), "a missing argument is a tool error naming it", res);
report.called = true;

// Resources: the context and the core blocks.
const { resources } = await client.listResources();
const uris = resources.map((r) => r.uri);
const blockURI = `memsvc://agents/${agent}/blocks/human`;
const contextURI = `memsvc://agents/${agent}/context`;
check(uris.includes(blockURI) && uris.includes(contextURI), "resources/list has the block and the context", uris);
let rr = await client.readResource({ uri: blockURI });
check(rr.contents[0].text === "Name: Ada.\nLikes green tea.", "the block resource reads the block as the tools left it", rr);
rr = await client.readResource({ uri: contextURI });
const ctx = JSON.parse(rr.contents[0].text);
check(ctx.tokens?.window > 0 && ctx.system.includes("Likes green tea."), "the context resource is the main context", ctx);
const { resourceTemplates } = await client.listResourceTemplates();
check(resourceTemplates.some((t) => t.uriTemplate.includes("{label}")), "a block template is listed", resourceTemplates);
// Another agent's block is not found through this session.
let refused = false;
try {
  await client.readResource({ uri: "memsvc://agents/ag_other/blocks/human" });
} catch (e) {
  refused = true;
}
check(refused, "another agent's resource is refused", null);
report.resources = uris;

// The prompt.
const { prompts } = await client.listPrompts();
check(prompts.some((p) => p.name === "use_memory"), "prompts/list has use_memory", prompts);
const pr = await client.getPrompt({ name: "use_memory" });
const ptext = pr.messages.map((m) => m.content.text).join("\n");
check(ptext.includes("archival_memory_search") && ptext.includes("Likes green tea."), "the prompt explains the tools and shows core memory", pr);
report.prompt = true;
await client.close();

// Wrong keys are refused.
const wrong = mode === "http" ? JSON.parse(env.WRONG_KEYS) : [env.WRONG_KEY];
report.refused = [];
for (const key of wrong) {
  let err = null;
  try {
    const c = await connect(key);
    await c.listTools();
    await c.close();
  } catch (e) {
    err = String(e?.message ?? e);
  }
  check(err !== null, "a wrong key is refused", key.slice(0, 12));
  report.refused.push(err.slice(0, 200));
}
console.log(JSON.stringify(report));
