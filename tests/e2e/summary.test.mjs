// The page downloads the seeded DB with a visible progress bar, opens it in the browser's
// SQLite and shows the same summary as `copilot summary`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB, usd } from './harness.mjs';

let server; let browser;
// The slow-download test serves the data from a second local origin, which the page's CSP
// (connect-src) must allow.
before(async () => { server = await startServer({ PROXY_CSP_CONNECT_SRC: 'http://127.0.0.1:*' }); browser = await launchBrowser(); });
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

test('a slow download shows byte progress before the summary; config.json points at the data', async () => {
  // A second server streams the database slowly (64 KB every 100 ms, uncompressed), and the
  // page's config.json is answered with its URL: the data can live anywhere.
  const bytes = readFileSync(SEEDED_DB);
  const slow = http.createServer(async (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'access-control-allow-origin': '*' });
    for (let at = 0; at < bytes.length; at += 65536) {
      res.write(bytes.subarray(at, at + 65536));
      await new Promise((r) => setTimeout(r, 100));
    }
    res.end();
  });
  await new Promise((r) => slow.listen(0, '127.0.0.1', r));
  try {
    const page = await browser.newPage();
    const dataUrl = `http://127.0.0.1:${slow.address().port}/usage.db`;
    await page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ data_url: dataUrl }) }));
    await page.goto(server.url);
    const progress = page.getByTestId('load-progress');
    await progress.waitFor({ timeout: 30000 });
    await page.waitForFunction(() => {
      const bar = document.querySelector('[data-testid=load-progress] progress');
      return bar && Number(bar.value) > 0 && Number(bar.value) < Number(bar.max);
    }, null, { timeout: 20000 });
    const totalKb = Math.ceil(bytes.length / 1024).toLocaleString('en-US');
    assert.match(await progress.textContent(), new RegExp(`^Loading usage data: [\\d,]+ KB of ${totalKb} KB`));
    await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
    assert.equal(await progress.count(), 0);
  } finally {
    slow.close();
  }
});
