// Cost Drift in the browser: the page shows the CLI's KPIs for the same periods, the
// waterfall's bars add up from the prior total to the current one, a click on a
// contribution selects that job or resource, and every chip offered for it answers offline
// with every number grounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

function cli(...params) {
  const args = params.flatMap((p) => ['--param', p]);
  return JSON.parse(copilot('report', 'cost_drift', '--db', SEEDED_DB, '--format', 'json', ...args));
}

// The drawn waterfall, read from the chart instance: per category (top to bottom), the
// stacked values of its series by name.
async function waterfall(page) {
  const chart = page.locator('[data-chart=waterfall] .chart');
  await chart.locator('canvas').first().waitFor();
  return chart.evaluate((el) => {
    const option = echarts.getInstanceByDom(el).getOption();
    const categories = option.yAxis[0].data;
    return categories.map((label, i) => ({
      label,
      ...Object.fromEntries(option.series.map((s) => [s.name, Number(s.data[i].value ?? s.data[i])])),
      silent: option.series.filter((s) => s.silent).map((s) => s.name),
    })).reverse();
  });
}

test('cost_drift: KPIs as the CLI, the waterfall adds up, a contribution selects its entity, chips answer grounded', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/cost_drift?period_days=14`, errors);
  await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  const expected = cli('period_days=14');
  for (const [name, value] of Object.entries(expected.kpis)) {
    if (value !== null) assert.equal(Number(await page.locator(`[data-kpi="${name}"]`).getAttribute('data-value')), value, `KPI ${name}`);
  }

  // Top to bottom: the prior total, the steps, the current total; each step starts where the
  // one before it ended (in cents, so the check is exact).
  const bars = await waterfall(page);
  const cents = (x) => Math.round(x * 100);
  assert.ok(bars.length >= 3, JSON.stringify(bars));
  assert.deepEqual(bars[0].silent, ['Bar start'], 'the running-total series is silent');
  let running = cents(bars[0]['Period total']);
  for (const bar of bars.slice(1, -1)) {
    assert.equal(cents(bar['Bar start']), Math.min(running, running + cents(bar.Increase) - cents(bar.Decrease)), bar.label);
    running += cents(bar.Increase) - cents(bar.Decrease);
  }
  assert.equal(running, cents(bars.at(-1)['Period total']), 'the steps add up to the current total');
  assert.equal(cents(expected.kpis.current_total) - cents(expected.kpis.prior_total), cents(expected.kpis.change));

  // Click the first contribution (the second bar from the top) and expect its entity.
  const first = expected.rows.find((r) => r.change_cents !== 0);
  const wanted = `${first.entity_kind}:${first.entity_id}`;
  const chart = page.locator('[data-chart=waterfall] .chart');
  const point = await chart.evaluate((el) => {
    const inst = echarts.getInstanceByDom(el);
    const option = inst.getOption();
    const index = option.yAxis[0].data.length - 2;
    const series = option.series.findIndex((s) => !s.silent && Number(s.data[index].value ?? s.data[index]) > 0);
    const rect = inst.getModel().getSeriesByIndex(series).getData().getItemLayout(index);
    return [rect.x + rect.width / 2, rect.y + rect.height / 2];
  });
  const box = await chart.boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
  await page.locator(`[data-testid=selection-banner][data-entity="${wanted}"]`).waitFor();

  const lanes = await page.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.dataset.lane));
  assert.deepEqual(lanes, ['Understand', 'Diagnose', 'Optimize', 'Monitor']);
  const chips = await page.locator('[data-chip-id]').evaluateAll((cs) => cs.map((c) => c.dataset.chipId));
  assert.ok(chips.filter((c) => c.startsWith('drift.')).length === 4, chips.join());
  for (const [i, chip] of chips.entries()) {
    await page.locator(`[data-chip-id="${chip}"]`).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length === n, i + 1);
    const answer = page.getByTestId('answer').first();
    assert.equal(await answer.getByTestId('answer-source').textContent(), 'Offline answer', chip);
    assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '0', chip);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
