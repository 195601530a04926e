// The page downloads the seeded DB with a visible progress bar, opens it in the browser's
// SQLite and shows the same summary as `copilot summary`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB, usd } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

test('the summary in the page equals copilot summary for the seeded DB', async () => {
  const expected = JSON.parse(copilot('summary', '--db', SEEDED_DB, '--format', 'json'));
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });

  const value = (id) => page.getByTestId(id).getAttribute('data-value');
  assert.equal(Number(await value('summary-workspaces')), expected.workspaces);
  assert.equal(Number(await value('summary-jobs')), expected.jobs);
  assert.equal(Number(await value('summary-runs')), expected.job_runs);
  assert.equal(await value('summary-date-range'), `${expected.first_date}..${expected.last_date}`);
  assert.equal(Number(await value('summary-total-spend')), expected.total_spend_usd);
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), usd(expected.total_spend_usd));
  assert.equal(await page.getByTestId('summary-runs').textContent(),
    `${expected.job_runs} (${expected.failed_runs} failed)`);
  assert.equal(await page.getByTestId('summary-date-range').textContent(),
    `${expected.first_date} – ${expected.last_date} (${expected.days} days)`);

  const rows = await page.locator('[data-testid=spend-by-type] tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    compute_type: tr.dataset.computeType, spend_usd: Number(tr.dataset.spend), share_pct: Number(tr.dataset.share),
  })));
  assert.deepEqual(rows, expected.spend_by_compute_type);
  // The spend chart is drawn by ECharts from the npm package served with the app.
  await page.locator('[aria-label="Spend per compute type"] canvas').waitFor();
  assert.deepEqual(errors, []);
});

test('a slow download shows byte progress before the summary', async () => {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  // About 2 seconds for the ~900 KB database (the app shell is throttled too).
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: 400 * 1024, uploadThroughput: -1,
  });
  await page.goto(server.url);
  const progress = page.getByTestId('load-progress');
  await progress.waitFor();
  await page.waitForFunction(() => {
    const bar = document.querySelector('[data-testid=load-progress] progress');
    return bar && Number(bar.value) > 0 && Number(bar.value) < Number(bar.max);
  }, null, { timeout: 20000 });
  const totalKb = Math.ceil(statSync(SEEDED_DB).size / 1024).toLocaleString('en-US');
  assert.match(await progress.textContent(), new RegExp(`^Loading usage data: [\\d,]+ KB of ${totalKb} KB`));
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  assert.equal(await progress.count(), 0);
});
