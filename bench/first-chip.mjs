// The first chip answer on a large database in headless Chromium: opens DB_FILE (default
// target/bench/scaled-3200x180.db) through the page's file input, selects an entity by URL,
// clicks a chip and prints how long the answer took and the timings its debug panel shows.
// Usage: make dist; node bench/first-chip.mjs [db] [report] [entity] [chip]
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage } from '../tests/e2e/harness.mjs';

const [db = path.join(ROOT, 'target/bench/scaled-3200x180.db'), report = 'job_cost', entity = 'job:J-LEGACY-ETL', chip = 'job.why_failing'] =
  process.argv.slice(2);
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await openPage(browser, server.url);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 60000 });
  let started = Date.now();
  await page.getByTestId('open-db-input').setInputFiles(db);
  const name = path.basename(db);
  await page.waitForFunction((n) => document.querySelector('[data-testid=data-source]')?.textContent.startsWith(n), name,
    { timeout: 30 * 60 * 1000, polling: 250 });
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30 * 60 * 1000 });
  console.log(`open ${name}: ${Date.now() - started} ms`);
  started = Date.now();
  await page.evaluate(([r, e]) => { location.hash = `#/report/${r}?sel=${encodeURIComponent(e)}`; }, [report, entity]);
  await page.locator(`[data-testid=selection-banner][data-entity="${entity}"]`).waitFor({ timeout: 30 * 60 * 1000 });
  console.log(`report ${report} with ${entity} selected: ${Date.now() - started} ms`);
  for (const round of ['first', 'second']) {
    started = Date.now();
    const before = await page.getByTestId('answer').count();
    await page.locator(`[data-chip-id="${chip}"]`).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length > n, before, { timeout: 30 * 60 * 1000 });
    console.log(`${round} ${chip} answer: ${Date.now() - started} ms`);
  }
  await page.getByTestId('debug-toggle').first().check();
  const rows = await page.getByTestId('debug-panel').first().locator('table.data-table tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(': ')));
  console.log(rows.filter((r) => /ms$/.test(r)).join('\n'));
} finally {
  await browser.close();
  server.stop();
}
