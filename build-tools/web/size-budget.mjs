// The first-load budget (make test): what a first visit transfers — index.html, the files
// it references (JS, wasm, CSS, ECharts, icon), config.json and the seeded database — each
// at its smallest pre-compressed size (brotli, else gzip, else raw). Prints the breakdown;
// exits 1 above the budget.
// Usage: node build-tools/web/size-budget.mjs DIST [BUDGET_BYTES]
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const dist = process.argv[2] ?? 'dist';
const budget = Number(process.argv[3] ?? 1_500_000);
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const referenced = [...html.matchAll(/(?:src|href|module_or_path:)\s*=?\s*["']\.?\/?([^"']+\.(?:js|wasm|css|svg))["']/g)].map((m) => m[1]);
const config = JSON.parse(readFileSync(path.join(dist, 'config.json'), 'utf8'));
const wanted = ['index.html', ...new Set(referenced), 'config.json', config.data_url ?? 'data/usage_rag_data.db'];

const rows = wanted.map((file) => {
  const full = path.join(dist, file);
  if (!existsSync(full)) throw new Error(`${file} is referenced but not in ${dist}`);
  const raw = statSync(full).size;
  const options = [['br', `${full}.br`], ['gzip', `${full}.gz`]].filter(([, f]) => existsSync(f)).map(([enc, f]) => [enc, statSync(f).size]);
  const [encoding, bytes] = options.reduce((best, o) => (o[1] < best[1] ? o : best), ['identity', raw]);
  return { file, raw, encoding, bytes };
});
const total = rows.reduce((s, r) => s + r.bytes, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
console.log('First-load transfer (compressed as served):');
for (const r of rows) console.log(`  ${r.file.padEnd(48)} ${kb(r.raw)} raw → ${kb(r.bytes)} ${r.encoding}`);
console.log(`  ${'total'.padEnd(48)} ${kb(rows.reduce((s, r) => s + r.raw, 0))} raw → ${kb(total)}  (${total.toLocaleString('en-US')} bytes; budget ${budget.toLocaleString('en-US')})`);
if (total > budget) {
  console.error(`size budget exceeded by ${(total - budget).toLocaleString('en-US')} bytes`);
  process.exit(1);
}
