// make bench (reports): every report on the seeded DB and on a scaled DB of about 10^6
// compute_usage rows, natively (copilot bench-reports) and in headless Chromium (the
// app's #/bench page), printed as medians and the ratio browser ÷ native: each report and
// its steps, the same report after a filter change, and building the reports' aggregates.
import { existsSync, mkdirSync, statSync, copyFileSync, linkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, DIST, startServer, launchBrowser, copilot } from '../tests/e2e/harness.mjs';

// A hard link (a copy across file systems): copilot-proxy serves nothing whose real path
// leaves DIST_DIR, so a symlink into target/bench would be refused.
function serveFromDist(file, link) {
  try { linkSync(file, link); } catch { copyFileSync(file, link); }
}

const SCALE = { jobs: process.env.BENCH_JOBS ?? '3200', days: process.env.BENCH_DAYS ?? '180' };
const RUNS = { seeded: Number(process.env.BENCH_RUNS_SEEDED ?? 15), scaled: Number(process.env.BENCH_RUNS_SCALED ?? 3) };

function scaledDb() {
  const dir = path.join(ROOT, 'target/bench');
  const file = path.join(dir, `scaled-${SCALE.jobs}x${SCALE.days}.db`);
  const copilotBin = path.join(ROOT, 'target/release/copilot');
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(copilotBin).mtimeMs) {
    mkdirSync(dir, { recursive: true });
    console.error(`generating ${file} …`);
    copilot('db', '--jobs', SCALE.jobs, '--days', SCALE.days, '--out', file);
  }
  return file;
}

async function browserRun(server, browser, url, runs) {
  const page = await browser.newPage();
  await page.goto(`${server.url}/#/bench?db=${encodeURIComponent(url)}&runs=${runs}`);
  const pre = page.getByTestId('bench-results');
  await pre.waitFor({ timeout: 30 * 60 * 1000 });
  const json = JSON.parse(await pre.textContent());
  await page.close();
  if (json.error) throw new Error(`browser bench failed on ${url}: ${json.error}`);
  return json;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2)).padStart(9);

const scaled = scaledDb();
const benchDir = path.join(DIST, 'bench-data');
rmSync(benchDir, { recursive: true, force: true });
mkdirSync(benchDir, { recursive: true });
serveFromDist(scaled, path.join(benchDir, 'scaled.db'));

const server = await startServer();
const browser = await launchBrowser();
const dbs = [
  { name: 'seeded', file: path.join(DIST, 'data/usage_rag_data.db'), url: 'data/usage_rag_data.db', runs: RUNS.seeded },
  { name: 'scaled', file: scaled, url: 'bench-data/scaled.db', runs: RUNS.scaled },
];
const rows = [];
try {
  for (const db of dbs) {
    const native = JSON.parse(copilot('bench-reports', '--db', db.file, '--runs', String(db.runs)));
    const web = await browserRun(server, browser, db.url, db.runs);
    const usage = JSON.parse(copilot('sql', '--db', db.file, 'SELECT COUNT(*) AS n FROM compute_usage'))[0].n;
    rows.push({ db: db.name, usage, bytes: native.bytes, what: 'open (bytes → SQLite)', native: native.open_ms, web: web.open_ms });
    rows.push({ db: db.name, usage, what: `usage graph (${native.graph.nodes} nodes)`, native: native.graph.build_ms, web: web.graph.build_ms });
    for (const key of Object.keys(native.reports)) {
      rows.push({ db: db.name, usage, what: key, native: native.reports[key].median_ms, web: web.reports[key].median_ms });
      for (const step of Object.keys(native.reports[key].steps)) {
        rows.push({ db: db.name, usage, what: `  ${step}`, native: native.reports[key].steps[step], web: web.reports[key].steps[step] });
      }
      rows.push({ db: db.name, usage, what: '  filter: middle third', native: native.reports[key].filtered_ms, web: web.reports[key].filtered_ms });
      rows.push({ db: db.name, usage, what: '  filter: one workspace', native: native.reports[key].workspace_ms, web: web.reports[key].workspace_ms });
    }
    if (native.aggregates) {
      rows.push({ db: db.name, usage, what: 'build aggregates', native: native.aggregates.build_ms, web: web.aggregates?.build_ms });
    }
  }
} finally {
  await browser.close();
  server.stop();
  rmSync(benchDir, { recursive: true, force: true });
}

console.log(`\nReport benchmark (median of ${RUNS.seeded} runs on seeded, ${RUNS.scaled} on scaled; ms)`);
console.log('db       usage rows  step                        native ms  browser ms  browser/native');
for (const r of rows) {
  const web = r.web ?? NaN;
  console.log(`${r.db.padEnd(8)} ${String(r.usage).padStart(10)}  ${r.what.padEnd(26)} ${fmt(r.native)}   ${fmt(web)}   ${(web / r.native).toFixed(2).padStart(8)}x`);
}
