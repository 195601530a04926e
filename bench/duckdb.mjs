// make bench (DuckDB-WASM): the app's engine (rusqlite over sqlite-wasm-rs, the #/bench page)
// against DuckDB-WASM 1.32 (one thread, in a Web Worker; its bundle served by this script's
// own static server from node_modules) and native SQLite (copilot bench-reports), on the
// same rows and the same three questions: job cost per job over the data's range, cost per
// compute type per day, and the anomalies of anomaly_detection (bench/duckdb/*.sql say them
// in DuckDB SQL over the raw tables, which sqlite3 exports to CSV for DuckDB to load).
// Rounds are interleaved (app, DuckDB, native, then again); each prints medians and the
// ratios app ÷ DuckDB-WASM and app ÷ native. Then, in the app's real page (engine in its
// worker), the longest main-thread task (PerformanceObserver 'longtask') during an import
// dropped on the file input and during each report run, and the peak memory of Chromium's
// renderer processes (VmHWM in /proc/<pid>/status; pids from CDP SystemInfo.getProcessInfo).
//   BENCH_VS_DB=/tmp/big.db        a second, larger database (the seeded one always runs)
//   BENCH_VS_ROUNDS=5 BENCH_VS_RUNS=3   rounds, and runs per engine and round
//   BENCH_VS_IMPORT_ROWS=100000    billing rows generated for the import (bench/gen-usage.mjs)
//   BENCH_DIR=target/bench         where the CSV exports and the generated import go
//   BENCH_VS_RECORD=1              also write the figures to bench/comparison.json, which the
//                                  #/bench page shows (otherwise only $BENCH_DIR/comparison.json)
import { createServer } from 'node:http';
import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { ROOT, DIST, startServer, launchBrowser, copilot } from '../tests/e2e/harness.mjs';
import { generateUsage } from './gen-usage.mjs';

const ROUNDS = Number(process.env.BENCH_VS_ROUNDS ?? 5);
const RUNS = Number(process.env.BENCH_VS_RUNS ?? 3);
const IMPORT_ROWS = Number(process.env.BENCH_VS_IMPORT_ROWS ?? 100000);
const WORK = path.resolve(ROOT, process.env.BENCH_DIR ?? 'target/bench');
const QUESTIONS = [
  { key: 'job_cost', what: 'job cost per job' },
  { key: 'compute_type_cost', what: 'cost per compute type per day' },
  { key: 'anomaly_detection', what: 'top anomalies' },
];
// What anomaly_detection's spec defaults to (sql/reports/anomaly_detection.toml).
const ANOMALY = { window: 14, warmup: 14, threshold: 3.0 };
const TABLES = ['workspace', 'jobs', 'job_runs', 'non_job_compute', 'compute_usage'];
const DUCK_DIST = path.join(ROOT, 'node_modules/@duckdb/duckdb-wasm/dist');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const mb = (bytes) => (bytes >= 10485760 ? `${(bytes / 1048576).toFixed(0)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);

/** The DuckDB SQL of a question with the range and the anomaly settings filled in. */
function duckSql(key, range) {
  return readFileSync(path.join(ROOT, 'bench/duckdb', `${key}.sql`), 'utf8')
    .replaceAll(':from', `DATE '${range.from}'`).replaceAll(':to', `DATE '${range.to}'`)
    .replaceAll(':window', String(ANOMALY.window)).replaceAll(':warmup', String(ANOMALY.warmup))
    .replaceAll(':threshold', ANOMALY.threshold.toFixed(1));
}

/** CSV exports of the tables the questions read, by the sqlite3 CLI; returns the dir. */
function exportTables(name, db) {
  const dir = path.join(WORK, `duckdb-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t = Date.now();
  for (const table of TABLES) {
    execFileSync('sqlite3', ['-readonly', '-csv', '-header', db, `.once ${path.join(dir, `${table}.csv`)}`, `SELECT * FROM ${table}`]);
  }
  const bytes = TABLES.reduce((n, table) => n + statSync(path.join(dir, `${table}.csv`)).size, 0);
  return { dir, bytes, ms: Date.now() - t };
}

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.csv': 'text/csv', '.map': 'application/json' };
/** The DuckDB page, its bundle, Arrow and the CSV exports, from this machine only. */
function startDuckServer(dataDir) {
  const roots = {
    '/duckdb/': DUCK_DIST,
    '/arrow/': path.join(ROOT, 'node_modules/apache-arrow'),
    '/flatbuffers/': path.join(ROOT, 'node_modules/flatbuffers'),
    '/tslib/': path.join(ROOT, 'node_modules/tslib'),
    '/data/': () => dataDir.current,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x').pathname;
    let file = null;
    if (url === '/') file = path.join(ROOT, 'bench/duckdb/page.html');
    else if (url === '/page.mjs') file = path.join(ROOT, 'bench/duckdb/page.mjs');
    for (const [prefix, root] of Object.entries(roots)) {
      if (!file && url.startsWith(prefix)) {
        const base = typeof root === 'function' ? root() : root;
        const candidate = path.join(base, url.slice(prefix.length));
        if (candidate.startsWith(base + path.sep)) file = candidate;
      }
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) { console.error(`bench/duckdb.mjs: 404 ${url}`); res.writeHead(404).end(`not found: ${url}`); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() })));
}

/** Peak resident memory (VmHWM) over the renderer processes this browser has now, in bytes. */
async function rendererPeak(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  let peak = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch { /* the process ended */ }
  }
  return peak;
}

async function appRound(server, browser, url) {
  const page = await browser.newPage();
  await page.goto(`${server.url}/#/bench?db=${encodeURIComponent(url)}&runs=${RUNS}&reports=${QUESTIONS.map((q) => q.key).join(',')}`);
  const pre = page.getByTestId('bench-results');
  await pre.waitFor({ timeout: 30 * 60 * 1000 });
  const json = JSON.parse(await pre.textContent());
  const peak = await rendererPeak(browser);
  await page.close();
  if (json.error) throw new Error(`app bench failed on ${url}: ${json.error}`);
  return { json, peak };
}

// The figures that identify a question's first answer row, to check both engines agree.
const KEY_FIGURES = {
  job_cost: ['job_id', 'total_cost_usd', 'runs'],
  compute_type_cost: ['compute_type', 'total_cost_usd', 'active_entities'],
  anomaly_detection: ['entity_id', 'date', 'z_score'],
};
const figure = (v) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v));
/** The first row's key figures from the app's engine (copilot report) and from DuckDB. */
function firstRows(key, dbFile, duckFirst) {
  const out = execFileSync(path.join(ROOT, 'target/release/copilot'), ['report', '--db', dbFile, key], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const app = JSON.parse(out).rows[0] ?? {};
  const duck = { ...(duckFirst ?? {}) };
  if (typeof duck.date === 'number') duck.date = new Date(duck.date).toISOString().slice(0, 10);
  const pick = (row) => KEY_FIGURES[key].map((c) => figure(row[c])).join(' ');
  return { app: pick(app), duck: pick(duck) };
}

const rangeOf = (db) => {
  const [r] = JSON.parse(copilot('sql', '--db', db, 'SELECT MIN(usage_date) AS "from", MAX(usage_date) AS "to" FROM compute_usage'));
  return r;
};

/** Interleaved rounds on one database: medians per engine and question. */
async function compare(name, dbFile, appUrl, env) {
  const range = rangeOf(dbFile);
  const usageRows = JSON.parse(copilot('sql', '--db', dbFile, 'SELECT COUNT(*) AS n FROM compute_usage'))[0].n;
  const exported = exportTables(name, dbFile);
  env.dataDir.current = exported.dir;
  const duckPage = await env.duckBrowser.newPage();
  await duckPage.goto(env.duck.url);
  await duckPage.waitForFunction(() => window.duckBench, null, { timeout: 120000 });
  const duckInfo = await duckPage.evaluate(() => ({ version: window.duckBench.version, bundle: window.duckBench.bundle, threads: window.duckBench.threads }));
  const duckLoadMs = await duckPage.evaluate((t) => window.duckBench.load(t), TABLES);
  const times = Object.fromEntries(QUESTIONS.map((q) => [q.key, { app: [], duck: [], native: [] }]));
  const rows = {};
  const opens = { app: [], native: [] };
  let appPeak = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const app = await appRound(env.server, env.appBrowser, appUrl);
    appPeak = Math.max(appPeak, app.peak);
    opens.app.push(app.json.open_ms);
    for (const q of QUESTIONS) {
      const r = await duckPage.evaluate(([sql, runs]) => window.duckBench.run(sql, runs), [duckSql(q.key, range), RUNS]);
      times[q.key].app.push(app.json.reports[q.key].median_ms);
      times[q.key].duck.push(median(r.ms));
      rows[q.key] = { app: app.json.reports[q.key].rows, duck: r.rows, duckFirst: r.first };
    }
    const native = JSON.parse(copilot('bench-reports', '--db', dbFile, '--runs', String(RUNS), '--reports', QUESTIONS.map((q) => q.key).join(',')));
    opens.native.push(native.open_ms);
    for (const q of QUESTIONS) {
      times[q.key].native.push(native.reports[q.key].median_ms);
      rows[q.key].native = native.reports[q.key].rows;
    }
  }
  for (const q of QUESTIONS) rows[q.key].first = firstRows(q.key, dbFile, rows[q.key].duckFirst);
  const duckPeak = await rendererPeak(env.duckBrowser);
  await duckPage.close();
  return { name, usageRows, bytes: statSync(dbFile).size, range, exported, duckInfo, duckLoadMs, times, rows, opens, appPeak, duckPeak };
}

/** Longest main-thread task in the app's real page while `during` runs, and its wall ms. */
async function longest(page, during) {
  await page.evaluate(() => { window.__longtasks = []; });
  const t = Date.now();
  await during();
  // Two frames, so a task that ends the work is observed.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const ms = Date.now() - t;
  const tasks = await page.evaluate(() => window.__longtasks);
  return { ms, longest: tasks.length ? Math.max(...tasks) : 0, count: tasks.length };
}

const OBSERVE = () => {
  window.__longtasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
};

async function openApp(browser, server) {
  const page = await browser.newPage();
  await page.addInitScript(OBSERVE);
  await page.goto(server.url);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 120000 });
  return page;
}

/** Each question's report in the app's page: wait for its KPIs and every chart's canvas. */
async function reportRuns(page, server) {
  const out = {};
  for (const q of QUESTIONS) {
    out[q.key] = await longest(page, async () => {
      await page.goto(`${server.url}/#/report/${q.key}`);
      await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30 * 60 * 1000 });
      for (const chart of await page.locator('[data-chart]').all()) await chart.locator('canvas').first().waitFor({ timeout: 60000 });
    });
  }
  return out;
}

/** The app's page: an import dropped on its file input, then reports on each database. */
async function appPage(server, dbs) {
  const usage = path.join(WORK, `usage-${IMPORT_ROWS}.csv`);
  const prices = path.join(WORK, 'prices.jsonl');
  if (!existsSync(usage) || !existsSync(prices)) {
    console.error(`generating ${usage} …`);
    await generateUsage(usage, prices, IMPORT_ROWS);
  }
  const result = { import: null, reports: {}, usageBytes: statSync(usage).size };
  {
    const browser = await launchBrowser();
    try {
      const page = await openApp(browser, server);
      result.import = await longest(page, async () => {
        await page.getByTestId('open-db-input').setInputFiles([usage, prices]);
        await page.getByTestId('import-page').waitFor({ timeout: 30 * 60 * 1000 });
      });
      result.import.peak = await rendererPeak(browser);
    } finally { await browser.close(); }
  }
  for (const db of dbs) {
    const browser = await launchBrowser();
    try {
      const page = await openApp(browser, server);
      let open = null;
      if (db.name !== 'seeded') {
        const base = path.basename(db.file);
        open = await longest(page, async () => {
          await page.getByTestId('open-db-input').setInputFiles(db.file);
          await page.waitForFunction((b) => document.querySelector('[data-testid=data-source]')?.textContent.startsWith(b), base, { timeout: 30 * 60 * 1000 });
        });
      }
      const reports = await reportRuns(page, server);
      result.reports[db.name] = { open, reports, peak: await rendererPeak(browser) };
    } finally { await browser.close(); }
  }
  return result;
}

// ---------------------------------------------------------------------------------------
mkdirSync(WORK, { recursive: true });
const dbs = [{ name: 'seeded', file: path.join(DIST, 'data/usage_rag_data.db'), url: 'data/usage_rag_data.db' }];
const benchDir = path.join(DIST, 'bench-vs-data');
rmSync(benchDir, { recursive: true, force: true });
if (process.env.BENCH_VS_DB) {
  mkdirSync(benchDir, { recursive: true });
  const file = path.resolve(process.env.BENCH_VS_DB);
  // A hard link (a copy across file systems): copilot-proxy serves nothing whose real path
  // leaves DIST_DIR, so a symlink would be refused.
  try { linkSync(file, path.join(benchDir, 'large.db')); } catch { copyFileSync(file, path.join(benchDir, 'large.db')); }
  dbs.push({ name: 'large', file, url: 'bench-vs-data/large.db' });
}
const started = Date.now();
const server = await startServer();
const dataDir = { current: null };
const duck = await startDuckServer(dataDir);
const env = { server, duck, dataDir, appBrowser: await launchBrowser(), duckBrowser: await launchBrowser() };
const results = [];
let page;
try {
  for (const db of dbs) results.push(await compare(db.name, db.file, db.url, env));
  await env.appBrowser.close();
  await env.duckBrowser.close();
  page = await appPage(server, dbs);
} finally {
  await env.appBrowser.close().catch(() => {});
  await env.duckBrowser.close().catch(() => {});
  server.stop();
  duck.stop();
  rmSync(benchDir, { recursive: true, force: true });
  for (const db of dbs) rmSync(path.join(WORK, `duckdb-${db.name}`), { recursive: true, force: true });
}

const f = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(8);
const x = (a, b) => `${a / b >= 0.1 ? (a / b).toFixed(2) : (a / b).toPrecision(2)}x`.padStart(8);
const { version, bundle, threads } = results[0].duckInfo;
console.log(`\nApp vs DuckDB-WASM ${version} (${bundle}, ${threads} thread, in a worker) vs native SQLite: median of ${ROUNDS} interleaved rounds, each the median of ${RUNS} runs; ms`);
console.log('db       usage rows  question                          app   DuckDB   native  app/DuckDB  app/native  rows app/DuckDB/native  first row agrees');
for (const r of results) {
  for (const q of QUESTIONS) {
    const t = r.times[q.key];
    const [a, d, n] = [median(t.app), median(t.duck), median(t.native)];
    const rw = r.rows[q.key];
    console.log(`${r.name.padEnd(8)} ${String(r.usageRows).padStart(10)}  ${q.what.padEnd(30)} ${f(a)} ${f(d)} ${f(n)}   ${x(a, d)}    ${x(a, n)}   ${`${rw.app}/${rw.duck}/${rw.native}`.padEnd(23)} ${rw.first.app === rw.first.duck ? `yes (${rw.first.app})` : `NO: app ${rw.first.app}, DuckDB ${rw.first.duck}`}`);
  }
  console.log(`${r.name.padEnd(8)} ${String(r.usageRows).padStart(10)}  ${'loading the rows'.padEnd(30)} ${f(median(r.opens.app))} ${f(r.duckLoadMs)} ${f(median(r.opens.native))}   ${x(median(r.opens.app), r.duckLoadMs)}    ${x(median(r.opens.app), median(r.opens.native))}   (app: ${mb(r.bytes)} SQLite file → memory; DuckDB: ${mb(r.exported.bytes)} of CSV → tables)`);
  console.log(`${r.name.padEnd(8)} peak renderer memory (VmHWM): app #/bench ${mb(r.appPeak)}, DuckDB-WASM page ${mb(r.duckPeak)}; range ${r.range.from} … ${r.range.to}`);
}
console.log(`\nThe app's own page (engine in its worker); longest main-thread task (PerformanceObserver 'longtask', ≥ 50 ms; 0 = none) and peak renderer memory (VmHWM of Chromium's renderer processes)`);
const lt = (p) => `longest task ${p.longest.toFixed(0)} ms (${p.count} long tasks), wall ${p.ms} ms`;
console.log(`import of ${IMPORT_ROWS.toLocaleString('en-US')} billing rows (${mb(page.usageBytes)} CSV) via the file input: ${lt(page.import)}, peak ${mb(page.import.peak)}`);
for (const [name, r] of Object.entries(page.reports)) {
  if (r.open) console.log(`${name}: opening the database via the file input: ${lt(r.open)}`);
  for (const q of QUESTIONS) console.log(`${name}: report ${q.key}: ${lt(r.reports[q.key])}`);
  console.log(`${name}: peak renderer memory ${mb(r.peak)}`);
}
// The figures as data for the #/bench page (src/app/bench.rs reads bench/comparison.json).
const r3 = (n) => Math.round(n * 1000) / 1000;
const comparison = {
  measured: new Date().toISOString().slice(0, 10),
  machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; headless Chromium`,
  duckdb: `DuckDB-WASM ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@duckdb/duckdb-wasm/package.json'), 'utf8')).version} (DuckDB ${version}, ${bundle}, ${threads} thread, in a worker)`,
  rounds: ROUNDS,
  runs: RUNS,
  rows: results.flatMap((r) => [
    ...QUESTIONS.map((q) => ({ db: r.name, usage_rows: r.usageRows, question: q.what, app_ms: r3(median(r.times[q.key].app)), duckdb_ms: r3(median(r.times[q.key].duck)), native_ms: r3(median(r.times[q.key].native)) })),
    { db: r.name, usage_rows: r.usageRows, question: 'loading the rows', app_ms: r3(median(r.opens.app)), duckdb_ms: r3(r.duckLoadMs), native_ms: r3(median(r.opens.native)) },
  ]),
  memory: results.map((r) => ({ db: r.name, app_mib: Math.round(r.appPeak / 1048576), duckdb_mib: Math.round(r.duckPeak / 1048576) })),
  page: {
    import: { billing_rows: IMPORT_ROWS, csv_mib: Math.round(page.usageBytes / 1048576), wall_ms: page.import.ms, longest_task_ms: Math.round(page.import.longest), peak_mib: Math.round(page.import.peak / 1048576) },
    reports: Object.entries(page.reports).map(([db, r]) => ({
      db,
      open_longest_task_ms: r.open ? Math.round(r.open.longest) : null,
      open_wall_ms: r.open ? r.open.ms : null,
      longest_task_ms: Object.fromEntries(QUESTIONS.map((q) => [q.key, Math.round(r.reports[q.key].longest)])),
      wall_ms: Object.fromEntries(QUESTIONS.map((q) => [q.key, r.reports[q.key].ms])),
      peak_mib: Math.round(r.peak / 1048576),
    })),
  },
};
const json = `${JSON.stringify(comparison, null, 2)}\n`;
writeFileSync(path.join(WORK, 'comparison.json'), json);
if (process.env.BENCH_VS_RECORD === '1') writeFileSync(path.join(ROOT, 'bench/comparison.json'), json);
console.log(`\nbench/duckdb.mjs took ${((Date.now() - started) / 1000).toFixed(0)} s`);
