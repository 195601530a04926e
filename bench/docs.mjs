// make bench (docs): the docs side natively (copilot docs bench) and in headless Chromium
// (the app's #/bench page with docs=…), on the evaluation questions: decode times, time
// per query in each retrieval mode, the telemetry index build, plus bytes on the wire.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { DIST, startServer, launchBrowser, copilot } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS_DOCS ?? 7);
const benchDir = path.join(DIST, 'bench-data');
rmSync(benchDir, { recursive: true, force: true });
mkdirSync(benchDir, { recursive: true });
const questionsFile = path.join(benchDir, 'questions.json');
const native = JSON.parse(copilot('docs', 'bench', '--runs', String(RUNS), '--questions-out', questionsFile,
  '--index', path.join(DIST, 'docs/docs-index.bin'), '--model', path.join(DIST, 'docs/static-model.bin'),
  '--db', path.join(DIST, 'data/usage_rag_data.db')));

const server = await startServer();
const browser = await launchBrowser();
let web;
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/#/bench?docs=bench-data%2Fquestions.json&runs=${RUNS}`);
  const pre = page.getByTestId('bench-results');
  await pre.waitFor({ timeout: 10 * 60 * 1000 });
  web = JSON.parse(await pre.textContent());
  if (web.error) throw new Error(`browser docs bench failed: ${web.error}`);
} finally {
  await browser.close();
  server.stop();
  rmSync(benchDir, { recursive: true, force: true });
}

const gz = (file) => gzipSync(readFileSync(path.join(DIST, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(3)).padStart(9);
const rows = [
  ['decode docs index', 'index_decode_ms'],
  ['decode static model', 'model_decode_ms'],
  ['query, BM25', 'bm25_ms_per_query'],
  ['query, dense', 'dense_ms_per_query'],
  ['query, hybrid', 'hybrid_ms_per_query'],
  [`telemetry index (${native.telemetry_entities} entities)`, 'telemetry_build_ms'],
];
console.log(`\nDocs benchmark (median of ${RUNS} runs, ${native.questions} questions, k = 4; ms)`);
console.log('step                              native ms  browser ms  browser/native');
for (const [what, key] of rows) {
  console.log(`${what.padEnd(32)} ${fmt(native[key])}   ${fmt(web[key])}   ${(web[key] / native[key]).toFixed(2).padStart(8)}x`);
}
const indexGz = gz('docs/docs-index.bin'); const modelGz = gz('docs/static-model.bin');
console.log(`docs index ${kb(native.index_bytes)} (gzip ${kb(indexGz)}), static model ${kb(native.model_bytes)} (gzip ${kb(modelGz)}); together gzip ${(indexGz + modelGz) / 1e6 < 12 ? '' : 'OVER '}${((indexGz + modelGz) / 1e6).toFixed(2)} MB of the 12 MB budget`);
console.log(`building the docs index from the corpus natively: ${native.index_build_ms.toFixed(0)} ms; browser fetch on localhost: index ${web.index_fetch_ms.toFixed(0)} ms, model ${web.model_fetch_ms.toFixed(0)} ms`);
