// make bench (import): a generated system.billing.usage CSV of 10^6 rows (plus list
// prices) imported natively (copilot import) and in headless Chromium (#/bench?import=…),
// each timed end to end of the import itself; printed with the ratio browser ÷ native.
// Natively also the peak RSS (GNU time), with rows staged on disk (what copilot import does
// for inputs over 64 MiB) and in memory (--in-memory, as the browser stages them).
//   BENCH_IMPORT_ROWS=10000000 BENCH_IMPORT_BROWSER=0 node bench/import.mjs   # 10^7, native only
import { existsSync, mkdirSync, rmSync, statSync, copyFileSync, linkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, DIST, startServer, launchBrowser } from '../tests/e2e/harness.mjs';

// A hard link (a copy across file systems): copilot-proxy serves nothing whose real path
// leaves DIST_DIR, so a symlink into target/bench would be refused.
function serveFromDist(file, link) {
  try { linkSync(file, link); } catch { copyFileSync(file, link); }
}
import { generateUsage } from './gen-usage.mjs';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1000000);
const RUNS = Number(process.env.BENCH_RUNS_IMPORT ?? 3);
const dir = path.join(ROOT, 'target/bench');
const usage = path.join(dir, `usage-${ROWS}.csv`);
const prices = path.join(dir, 'prices.jsonl');
mkdirSync(dir, { recursive: true });
if (!existsSync(usage) || !existsSync(prices)) {
  console.error(`generating ${usage} …`);
  await generateUsage(usage, prices, ROWS);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

const BROWSER = process.env.BENCH_IMPORT_BROWSER !== '0';
const GNU_TIME = '/usr/bin/time';
// One native import: wall ms and, where GNU time exists, peak RSS in bytes.
function nativeImport(extra) {
  const args = ['import', usage, prices, '--out', path.join(dir, 'imported.db'), ...extra];
  const bin = path.join(ROOT, 'target/release/copilot');
  const t = process.hrtime.bigint();
  let rss = null;
  if (existsSync(GNU_TIME)) {
    const out = spawnSync(GNU_TIME, ['-v', bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (out.status !== 0) throw new Error(`copilot import failed: ${out.stderr}`);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(out.stderr);
    rss = m ? Number(m[1]) * 1024 : null;
  } else {
    execFileSync(bin, args, { stdio: 'ignore' });
  }
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, rss };
}
const native = [];
const nativeRss = { disk: [], memory: [] };
const nativeMs = { disk: [], memory: [] };
for (let i = 0; i < RUNS; i++) {
  for (const [mode, extra] of [['disk', ['--temp-dir', dir]], ['memory', ['--in-memory']]]) {
    const r = nativeImport(extra);
    nativeMs[mode].push(r.ms);
    if (r.rss) nativeRss[mode].push(r.rss);
  }
  native.push(nativeMs.disk[i]);
}
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`\nNative import of ${ROWS.toLocaleString('en-US')} billing usage rows (${mb(statSync(usage).size)} CSV), median of ${RUNS}:`);
for (const mode of ['disk', 'memory']) {
  const rss = nativeRss[mode].length ? `, peak RSS ${mb(median(nativeRss[mode]))}` : '';
  console.log(`  staged ${mode === 'disk' ? 'on disk  ' : 'in memory'}  ${median(nativeMs[mode]).toFixed(0)} ms${rss}`);
}
if (!BROWSER) process.exit(0);

const benchDir = path.join(DIST, 'bench-data');
rmSync(benchDir, { recursive: true, force: true });
mkdirSync(benchDir, { recursive: true });
serveFromDist(usage, path.join(benchDir, 'usage.csv'));
serveFromDist(prices, path.join(benchDir, 'prices.jsonl'));
const server = await startServer();
const browser = await launchBrowser();
const web = [];
let last;
try {
  for (let i = 0; i < RUNS; i++) {
    const page = await browser.newPage();
    await page.goto(`${server.url}/#/bench?import=bench-data%2Fusage.csv%2Cbench-data%2Fprices.jsonl`);
    const pre = page.getByTestId('bench-results');
    await pre.waitFor({ timeout: 20 * 60 * 1000 });
    last = JSON.parse(await pre.textContent());
    await page.close();
    if (last.error) throw new Error(`browser import failed: ${last.error}`);
    web.push(last.import_ms);
  }
} finally {
  await browser.close();
  server.stop();
  rmSync(benchDir, { recursive: true, force: true });
}
console.log(`\nImport benchmark: ${ROWS.toLocaleString('en-US')} billing usage rows (${mb(statSync(usage).size)} CSV) → ${last.compute_usage_rows.toLocaleString('en-US')} compute_usage rows, ${mb(last.db_bytes)} database; median of ${RUNS}`);
console.log(`native (copilot import, whole process) ${median(native).toFixed(0)} ms   browser (Importer, 1 MiB chunks) ${median(web).toFixed(0)} ms   browser/native ${(median(web) / median(native)).toFixed(2)}x`);
if (last.phase_ms) console.log(`browser phases: ${Object.entries(last.phase_ms).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
