// The DuckDB-WASM side of make bench, in the page: instantiate the bundle this browser
// supports from this server (never a CDN), one thread, then `load` CSV exports of the
// SQLite tables into DuckDB tables and `run` a query `runs` times (wall ms per run,
// including the Arrow result reaching the page, and the row count).
import * as duckdb from '/duckdb/duckdb-browser.mjs';

const here = (p) => new URL(p, location.href).href;
const bundle = await duckdb.selectBundle({
  mvp: { mainModule: here('/duckdb/duckdb-mvp.wasm'), mainWorker: here('/duckdb/duckdb-browser-mvp.worker.js') },
  eh: { mainModule: here('/duckdb/duckdb-eh.wasm'), mainWorker: here('/duckdb/duckdb-browser-eh.worker.js') },
});
const worker = new Worker(bundle.mainWorker);
const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
await db.instantiate(bundle.mainModule);
await db.open({ maximumThreads: 1 });
const conn = await db.connect();
await conn.query('SET threads = 1');
const threads = (await conn.query("SELECT current_setting('threads') AS n")).toArray()[0].n;

window.duckBench = {
  version: await db.getVersion(),
  bundle: bundle.mainModule.split('/').pop(),
  threads: Number(threads),
  /** Fetches each `/data/<table>.csv` and creates the table from it; total wall ms. */
  async load(tables) {
    const t = performance.now();
    for (const table of tables) {
      const bytes = new Uint8Array(await (await fetch(`/data/${table}.csv`)).arrayBuffer());
      await db.registerFileBuffer(`${table}.csv`, bytes);
      await conn.query(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_csv('${table}.csv', header = true)`);
      await db.dropFile(`${table}.csv`);
    }
    return performance.now() - t;
  },
  async run(sql, runs) {
    const ms = [];
    let rows = 0;
    let first = null;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const result = await conn.query(sql);
      ms.push(performance.now() - t);
      rows = result.numRows;
      first = rows ? result.get(0).toJSON() : null;
    }
    return { ms, rows, first: first && JSON.parse(JSON.stringify(first, (_, v) => (typeof v === 'bigint' ? Number(v) : v))) };
  },
};
document.getElementById('status').textContent = `DuckDB ${window.duckBench.version} ready`;
