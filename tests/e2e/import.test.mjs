// Importing system-table exports in the browser: pick the fixture files → the coverage
// page (files recognised by their columns, gaps) → job_cost shows the fixture's jobs with
// the hand-computed totals (tests/fixtures/system-tables/EXPECTED.md) and the same figures
// as `copilot import` + `copilot report`; a reload keeps the data (kept in the browser's storage);
// deleting the dataset removes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, tempDir, ROOT } from './harness.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures/system-tables');
const files = readdirSync(FIXTURES).filter((f) => /\.(csv|jsonl)$/.test(f)).map((f) => path.join(FIXTURES, f));

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

async function jobTotals(page) {
  await page.goto(`${server.url}/#/report/job_cost`);
  const rows = page.locator('[data-table=jobs] tbody tr');
  await rows.first().waitFor({ timeout: 30000 });
  return rows.evaluateAll((trs) => trs.map((tr) => ({
    entity: tr.querySelector('.row-select')?.dataset.entity,
    text: tr.textContent,
  })));
}

test('dropped exports → coverage page → job_cost totals; reload keeps them; deleting the dataset removes them', async () => {
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  // Drop all ten files on the page at once.
  const payload = files.map((f) => ({ name: path.basename(f), text: readFileSync(f, 'utf8') }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([f.text], f.name));
    const target = document.querySelector('.app');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, payload);
  const coverage = page.getByTestId('import-page');
  await coverage.waitFor({ timeout: 30000 });
  assert.match(page.url(), /#\/import$/);
  const recognised = await page.locator('[data-testid=import-files] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));
  assert.deepEqual(recognised, [
    'system.billing.usage', 'system.billing.list_prices', 'system.lakeflow.jobs', 'system.lakeflow.job_run_timeline',
    'system.lakeflow.job_task_run_timeline', 'system.compute.clusters', 'system.compute.instance_events',
    'system.compute.node_timeline', 'system.compute.warehouses', 'system.query.history',
  ]);
  assert.equal(await page.getByTestId('gap-total').textContent(), '$25.70');
  assert.equal(await page.getByTestId('gap-attributable').textContent(), '$3.00');
  assert.equal(await page.locator('[data-testid=import-coverage] [data-report=job_cost]').getAttribute('data-available'), 'true');
  assert.equal(await page.locator('[data-testid=import-coverage] [data-report=anomaly_detection]').getAttribute('data-available'), 'false');

  // The browser's import equals the CLI's, and both equal the hand-computed totals.
  const db = path.join(tempDir(), 'imported.db');
  copilot('import', ...files, '--out', db);
  const cli = JSON.parse(copilot('report', 'job_cost', '--db', db, '--format', 'json'));
  assert.deepEqual(cli.rows.map((r) => [r.job_id, r.total_cost_usd]), [['1001', 4.15], ['1002', 2.35], ['1004', 0.6], ['1003', 0], ['1005', 0]]);
  const rows = await jobTotals(page);
  assert.deepEqual(rows.map((r) => r.entity), cli.rows.map((r) => `job:${r.job_id}`));
  assert.ok(rows[0].text.includes('nightly_orders_etl') && rows[0].text.includes('$4.15'), rows[0].text);
  assert.ok(rows[1].text.includes('$2.35'), rows[1].text);

  // The spot report says where each job's spot share comes from.
  await page.goto(`${server.url}/#/report/spot_risk_by_job`);
  const risk = page.locator('[data-table=risk] tbody tr');
  await risk.first().waitFor({ timeout: 30000 });
  const riskText = (await risk.allTextContents()).join('\n');
  assert.match(riskText, /nightly_orders_etl.*configured 2, observed 1/, riskText);

  await page.reload();
  const again = await jobTotals(page);
  assert.deepEqual(again.map((r) => r.entity), rows.map((r) => r.entity), 'a reload keeps the imported data');

  // The import is a dataset kept in this browser: switch to the demo, delete the import,
  // and a reload opens the demo.
  await page.goto(`${server.url}/#/`);
  const kept = page.locator('[data-testid=datasets-table] tr[data-dataset]:not([data-dataset=demo])');
  await kept.first().waitFor({ timeout: 30000 });
  assert.equal(await kept.count(), 1, 'one kept dataset: the import');
  await page.getByTestId('dataset-switch').selectOption('demo');
  await page.waitForFunction(() => !document.querySelector('[data-testid=datasets-table] tr[data-dataset=demo] [data-testid=dataset-open]'), null, { timeout: 30000 });
  await kept.getByTestId('dataset-delete').click();
  await kept.getByTestId('dataset-delete-confirm').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=datasets-table] tr[data-dataset]').length === 1, null, { timeout: 30000 });
  await page.reload();
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('dataset-summary').textContent(), /Chicago Cola|OU-CHICOLA|9/);
  assert.equal(await page.getByTestId('nav-import').count(), 0, 'the import is gone');
  assert.deepEqual(errors, []);
});

test('the Parquet export of the fixtures imports to the same figures; the Parquet reader loads only then', async () => {
  const errors = [];
  const context = await browser.newContext();
  const fetched = [];
  context.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  assert.ok(!fetched.some((p) => p.includes('/parquet/')), `no Parquet module before a Parquet file: ${fetched.join(' ')}`);
  const parquetDir = path.join(ROOT, 'tests/fixtures/system-tables-parquet');
  const parquet = readdirSync(parquetDir).filter((f) => f.endsWith('.parquet')).sort().map((f) => path.join(parquetDir, f));
  // A ZSTD-compressed file among them is refused, naming its codec; the others are read.
  parquet.push(path.join(ROOT, 'tests/fixtures/system-tables-bad/warehouses_zstd.parquet'));
  const payload = parquet.map((f) => ({ name: path.basename(f), base64: readFileSync(f).toString('base64') }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
    const target = document.querySelector('.app');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, payload);
  await page.getByTestId('import-page').waitFor({ timeout: 60000 });
  assert.ok(fetched.some((p) => p.endsWith('/parquet/parquet_rows_bg.wasm')), 'the Parquet module was fetched for the drop');
  const recognised = await page.locator('[data-testid=import-files] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.file, tr.children[1].textContent]));
  const tables = recognised.filter(([f]) => f.startsWith('export_')).map(([, t]) => t);
  assert.deepEqual(tables, [
    'system.billing.usage', 'system.billing.list_prices', 'system.lakeflow.jobs', 'system.lakeflow.job_run_timeline',
    'system.lakeflow.job_task_run_timeline', 'system.compute.clusters', 'system.compute.instance_events',
    'system.compute.node_timeline', 'system.compute.warehouses', 'system.query.history',
  ]);
  const zstd = recognised.find(([f]) => f === 'warehouses_zstd.parquet');
  assert.match(zstd[1], /^not read: .*compressed with ZSTD, which the importer does not read/, zstd[1]);
  assert.equal(await page.getByTestId('gap-total').textContent(), '$25.70');
  assert.equal(await page.getByTestId('gap-attributable').textContent(), '$3.00');

  // The same job figures as the CSV and JSON Lines fixtures through `copilot import`.
  const db = path.join(tempDir(), 'from-csv.db');
  copilot('import', ...files, '--out', db);
  const cli = JSON.parse(copilot('report', 'job_cost', '--db', db, '--format', 'json'));
  await page.goto(`${server.url}/#/report/job_cost`);
  const rows = page.locator('[data-table=jobs] tbody tr');
  await rows.first().waitFor({ timeout: 30000 });
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ entity: tr.querySelector('.row-select')?.dataset.entity, text: tr.textContent })));
  assert.deepEqual(shown.map((r) => r.entity), cli.rows.map((r) => `job:${r.job_id}`));
  for (const [i, r] of cli.rows.entries()) {
    assert.ok(shown[i].text.includes(r.job_name) && shown[i].text.includes(`$${r.total_cost_usd.toFixed(2)}`), `${r.job_id}: ${shown[i].text}`);
  }
  const kpis = await page.locator('[data-kpi]').evaluateAll((ks) => Object.fromEntries(ks.map((k) => [k.dataset.kpi, Number(k.dataset.value)])));
  for (const [name, value] of Object.entries(cli.kpis)) if (value !== null) assert.equal(kpis[name], value, `KPI ${name}`);
  assert.deepEqual(errors, []);
  await context.close();
});
