// Role views: picking a role in the header reorders the navigation and the overview's report
// cards as sql/reports/roles.toml says, the URL keeps the role across a reload and a page
// switch, and the team lead's default range is the data's last 14 days.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, ROOT, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

/** The roles file read here with a few lines of parsing (keys, pillars and reports lists). */
function roles() {
  const text = readFileSync(path.join(ROOT, 'sql/reports/roles.toml'), 'utf8');
  return text.split(/^\[\[roles\]\]$/m).slice(1).map((block) => {
    const str = (k) => block.match(new RegExp(`^${k} = "([^"]*)"`, 'm'))?.[1];
    const list = (k) => JSON.parse(block.match(new RegExp(`^${k} = (\\[.*\\])`, 'm'))?.[1] ?? '[]');
    return { key: str('key'), title: str('title'), pillars: list('pillars'), reports: list('reports') };
  });
}

const navPillars = (page) => page.locator('.report-nav .pillar').evaluateAll((ps) => ps.map((p) => p.dataset.pillar));
const navReports = (page) => page.locator('.report-nav [data-report]').evaluateAll((as) => as.map((a) => a.dataset.report));

test('picking a role reorders pillars and reports, and the URL keeps it across reload', async () => {
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  const plainPillars = await navPillars(page);
  const plainReports = await navReports(page);
  const platform = roles().find((r) => r.key === 'platform');
  assert.ok(platform, 'roles.toml has a platform role');
  const options = await page.getByTestId('role-select').locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(options, ['', ...roles().map((r) => r.key)]);

  await page.getByTestId('role-select').selectOption('platform');
  await page.waitForFunction(() => location.hash.includes('role=platform'));
  const pillars = await navPillars(page);
  // The role's pillars first in its order, then the others as before.
  assert.deepEqual(pillars, [...platform.pillars, ...plainPillars.filter((p) => !platform.pillars.includes(p))]);
  assert.notDeepEqual(pillars, plainPillars);
  const reports = await navReports(page);
  assert.notDeepEqual(reports, plainReports);
  const firstPillarReports = await page.locator(`.report-nav .pillar[data-pillar="${pillars[0]}"] [data-report]`)
    .evaluateAll((as) => as.map((a) => a.dataset.report));
  const wanted = platform.reports.filter((r) => firstPillarReports.includes(r));
  assert.deepEqual(firstPillarReports.slice(0, wanted.length), wanted);
  // The overview's cards follow the same order.
  const cards = await page.locator('[data-testid=report-cards] .pillar-cards').evaluateAll((ps) => ps.map((p) => p.dataset.pillar));
  assert.deepEqual(cards, pillars);

  await page.reload();
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('role-select').inputValue(), 'platform');
  assert.deepEqual(await navPillars(page), pillars);
  // A report link keeps the role.
  await page.locator(`.report-nav [data-report="${firstPillarReports[0]}"]`).click();
  await page.getByTestId('report-page').waitFor();
  assert.ok((await page.evaluate(() => location.hash)).includes('role=platform'));
  assert.deepEqual(errors, []);
});

test("the team lead's default range is the data's last 14 days", async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/job_cost?role=team_lead`, errors);
  await page.getByTestId('report-page').waitFor({ timeout: 30000 });
  const [{ first, last }] = JSON.parse(copilot('sql', '--db', SEEDED_DB,
    "SELECT date(MAX(usage_date), '-13 days') AS first, MAX(usage_date) AS last FROM compute_usage"));
  await page.waitForFunction((d) => document.querySelector('[data-testid=filter-from]')?.value === d, first, { timeout: 10000 });
  assert.equal(await page.getByTestId('filter-to').inputValue(), last);
  assert.deepEqual(errors, []);
});
