// The FinOps reports in the browser: each renders with the CLI's KPIs, a click on its
// chart's top bar selects that row's entity, and every chip offered for it gets an offline
// answer whose numbers are all grounded in the evidence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

// Each report, the horizontal bar chart to click and the entity its top bar stands for
// (the first row of the CLI's output).
const REPORTS = [
  { key: 'runtime_regression', chart: 'medians', entity: (row) => `job:${row.job_id}` },
  { key: 'reliability_scorecard', chart: 'scores', entity: (row) => `job:${row.job_id}` },
  { key: 'tag_chargeback', chart: 'by_value', entity: (row) => `tag_value:${row.entity_id}` },
  { key: 'utilization', chart: 'hours', entity: (row) => `compute:${row.compute_id}` },
];

function cli(key, ...params) {
  const args = params.flatMap((p) => ['--param', p]);
  return JSON.parse(copilot('report', key, '--db', SEEDED_DB, '--format', 'json', ...args));
}

// The KPIs shown equal the CLI's (waits for the page to catch up with a changed filter).
async function kpisMatch(page, expected, what) {
  for (const [name, value] of Object.entries(expected.kpis)) {
    if (value === null) continue;
    const kpi = page.locator(`[data-kpi="${name}"]`);
    await page.waitForFunction(([n, v]) => Number(document.querySelector(`[data-kpi="${n}"]`)?.getAttribute('data-value')) === v, [name, value])
      .catch(() => {});
    assert.equal(Number(await kpi.getAttribute('data-value')), value, `${what} KPI ${name}`);
  }
}

async function clickTopBar(page, chartId) {
  const chart = page.locator(`[data-chart=${chartId}] .chart`);
  await chart.locator('canvas').first().waitFor();
  // The middle of the top category's first non-empty bar, from the laid-out bar itself
  // (bars of several series sit side by side in a category).
  const point = await chart.evaluate((el) => {
    const inst = echarts.getInstanceByDom(el);
    const option = inst.getOption();
    const top = option.yAxis[0].data.length - 1;
    const series = option.series.findIndex((s) => s.type === 'bar' && Number(s.data[top].value) > 0);
    const rect = inst.getModel().getSeriesByIndex(series).getData().getItemLayout(top);
    return [rect.x + rect.width / 2, rect.y + rect.height / 2];
  });
  const box = await chart.boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
}

for (const { key, chart, entity } of REPORTS) {
  test(`${key}: renders, a bar click selects its row, every chip answers offline, grounded`, async () => {
    const errors = [];
    const page = await openPage(browser, `${server.url}/#/report/${key}`, errors);
    await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
    const expected = cli(key);
    for (const [name, value] of Object.entries(expected.kpis)) {
      if (value !== null) assert.equal(Number(await page.locator(`[data-kpi="${name}"]`).getAttribute('data-value')), value, `${key} KPI ${name}`);
    }
    assert.ok(await page.locator('[data-table] tbody tr').count() >= 1, key);

    const wanted = entity(expected.rows[0]);
    await clickTopBar(page, chart);
    await page.locator(`[data-testid=selection-banner][data-entity="${wanted}"]`).waitFor();
    const lanes = await page.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.dataset.lane));
    const chips = await page.locator('[data-chip-id]').evaluateAll((cs) => cs.map((c) => c.dataset.chipId));
    // The What if lane shows when the row offers a counterfactual (LEGACY-ETL's retries,
    // APC-LEGACY's idle tail), between Optimize and Monitor.
    const whatIf = chips.some((c) => c.startsWith('whatif.')) ? ['What if'] : [];
    assert.deepEqual(lanes, ['Understand', 'Diagnose', 'Optimize', ...whatIf, 'Monitor']);
    if (key === 'utilization' || key === 'reliability_scorecard') assert.deepEqual(whatIf, ['What if'], `${key}: ${chips.join()}`);
    const own = chips.filter((c) => c.startsWith(`${key.split('_')[0]}.`));
    assert.ok(own.length >= 4, `${key} offers its own chips: ${chips.join()}`);
    for (const [i, chip] of chips.entries()) {
      await page.locator(`[data-chip-id="${chip}"]`).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length === n, i + 1);
      const answer = page.getByTestId('answer').first();
      assert.match(await answer.getAttribute('data-chip'), new RegExp(`^${chip.replace('.', '\\.')}@\\d+$`));
      assert.equal(await answer.getByTestId('answer-source').textContent(), 'Offline answer', chip);
      assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '0', `${key} ${chip}`);
    }
    assert.deepEqual(errors, [], key);
    await page.close();
  });
}

test('tag_chargeback: the tag key and the allocation rule are filters kept in the URL, with the CLI\'s figures', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/tag_chargeback`, errors);
  await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  const keys = page.locator('select[data-param=tag_key]');
  // The key picker offers the keys the jobs carry.
  await page.waitForFunction(() => document.querySelectorAll('select[data-param=tag_key] option').length > 1);
  const offered = await keys.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(offered.includes('team') && offered.includes('cost_center'), offered.join());
  assert.equal(await keys.inputValue(), 'team');

  await keys.selectOption('cost_center');
  await page.waitForFunction(() => location.hash.includes('tag_key=cost_center'));
  await kpisMatch(page, cli('tag_chargeback', 'tag_key=cost_center'), 'cost_center');
  assert.equal(await page.locator('[data-table=lines] tbody tr').count(), cli('tag_chargeback', 'tag_key=cost_center').rows.length);

  await page.locator('select[data-param=allocation]').selectOption('unallocated');
  await page.waitForFunction(() => location.hash.includes('allocation=unallocated'));
  const unallocated = cli('tag_chargeback', 'tag_key=cost_center', 'allocation=unallocated');
  await kpisMatch(page, unallocated, 'cost_center unallocated');
  await page.locator('[data-table=lines] tbody tr', { hasText: 'Unallocated' }).first().waitFor();

  // A reload restores both from the URL.
  await page.reload();
  await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  await kpisMatch(page, unallocated, 'after reload');
  assert.equal(await page.locator('select[data-param=tag_key]').inputValue(), 'cost_center');
  assert.equal(await page.locator('select[data-param=allocation]').inputValue(), 'unallocated');
  assert.deepEqual(errors, []);
  await page.close();
});
