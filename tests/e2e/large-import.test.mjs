// A large account's export in the browser: a 10^6-row system.billing.usage CSV is read as
// a stream in the engine's worker. While it runs the page answers clicks (navigation
// works), progress advances, and Cancel stops it leaving the data shown before intact and
// nothing kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, ROOT, SEEDED_DB, usd } from './harness.mjs';
import { generateUsage } from '../../bench/gen-usage.mjs';

const ROWS = 1000000;
const dir = path.join(ROOT, 'target/e2e-large');
const usage = path.join(dir, `usage-${ROWS}.csv`);
const prices = path.join(dir, 'prices.jsonl');

let server; let browser;
before(async () => {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(usage) || !existsSync(prices)) await generateUsage(usage, prices, ROWS);
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); server?.stop(); });

const percent = async (page) => {
  const text = await page.getByTestId('import-status').textContent().catch(() => '');
  const m = /\((\d+)%\)/.exec(text ?? '');
  return m ? Number(m[1]) : null;
};

test('a 10^6-row import streams in the worker: the page stays usable, progress advances, Cancel keeps the data shown', async () => {
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  const demo = usd(JSON.parse(copilot('summary', '--db', SEEDED_DB, '--format', 'json')).total_spend_usd);
  await page.getByTestId('summary-total-spend').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), demo);

  await page.getByTestId('open-db-input').setInputFiles([usage, prices]);
  await page.getByTestId('import-status').waitFor({ timeout: 30000 });
  await page.waitForFunction(() => /Reading usage-1000000\.csv: [\d,]+ rows…/.test(document.querySelector('[data-testid=import-status]')?.textContent ?? ''),
    null, { timeout: 60000 });
  const first = await percent(page);

  // The page answers while the worker imports: a navigation renders at once.
  const clicked = Date.now();
  await page.getByTestId('nav-import').count().then((n) => assert.equal(n, 0, 'the demo has no import page'));
  await page.locator('[data-testid=report-nav] a[href*="report/job_cost"], a[href*="#/report/job_cost"]').first().click();
  await page.waitForFunction(() => location.hash.startsWith('#/report/job_cost'), null, { timeout: 5000 });
  assert.ok(Date.now() - clicked < 5000, 'navigation answered within 5 s during the import');
  await page.getByTestId('nav-overview').click();
  await page.getByTestId('summary-total-spend').waitFor({ timeout: 5000 });
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), demo, 'the data shown before is still shown');

  // Progress advances.
  await page.waitForFunction((before) => {
    const m = /\((\d+)%\)/.exec(document.querySelector('[data-testid=import-status]')?.textContent ?? '');
    return m && Number(m[1]) > before;
  }, first ?? 0, { timeout: 60000 });
  const later = await percent(page);
  assert.ok(later > (first ?? 0) && later < 100, `progress ${first} → ${later}`);

  // Cancel: the import stops, the demo stays, nothing is kept.
  await page.getByTestId('import-cancel').click();
  await page.getByTestId('import-status').waitFor({ state: 'detached', timeout: 30000 });
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), demo);
  assert.equal(await page.locator('[data-testid=datasets-table] tr[data-dataset]:not([data-dataset=demo])').count(), 0, 'a cancelled import keeps nothing');
  assert.equal(await page.getByTestId('load-error').count(), 0, 'a cancel is not an error');
  await page.reload();
  await page.getByTestId('summary-total-spend').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), demo);
  assert.deepEqual(errors, []);
});
