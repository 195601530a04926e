// Budgets in the browser: added in the page's editor, they run the Budgets report with the
// CLI's figures for the same budgets file; they survive a reload (kept with the dataset in
// this browser); exported and imported back as a file; a bad file is refused with a message
// that says where; a click on a budget offers its chips, every one answered offline with
// every number grounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, tempDir, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

async function kpis(page) {
  await page.locator('[data-testid=report-page][data-pending=false]').waitFor();
  return page.locator('[data-kpi]').evaluateAll((ks) => Object.fromEntries(ks.map((k) => [k.dataset.kpi, Number(k.dataset.value)])));
}

async function addBudget(page, name, scope, value, amount) {
  await page.getByTestId('budget-name').fill(name);
  await page.getByTestId('budget-scope').selectOption(scope);
  if (value) await page.getByTestId('budget-value').fill(value);
  await page.getByTestId('budget-amount').fill(amount);
  await page.getByTestId('budget-add').click();
  await page.locator(`[data-testid=budgets-table] tr[data-budget="${name}"]`).waitFor();
}

test('budgets: edited in the page, the CLI\'s figures, kept across a reload, exported and imported, chips grounded', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/budget_status`, errors);
  await page.getByTestId('budgets-panel').waitFor({ timeout: 30000 });
  assert.equal((await kpis(page)).budgets, 0);
  assert.match(await page.locator('[data-table=budgets]').textContent(), /No budgets yet/);

  await addBudget(page, 'Everything', 'all', '', '$150,000');
  await addBudget(page, 'Jobs', 'compute_type', 'JOB_RUN', '1000');
  // A refused budget says why and changes nothing.
  await page.getByTestId('budget-name').fill('Nowhere');
  await page.getByTestId('budget-scope').selectOption('workspace');
  await page.getByTestId('budget-amount').fill('10');
  await page.getByTestId('budget-add').click();
  assert.equal(await page.getByTestId('budgets-error').textContent(), 'Budget 3: "Nowhere" needs the workspace it covers.');
  assert.equal(await page.locator('[data-testid=budgets-table] tbody tr').count(), 2);

  // The exported file is what the CLI reads, and the page's KPIs are the CLI's for it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('budgets-export').click()]);
  assert.equal(download.suggestedFilename(), 'budgets-seeded-demo-data.json');
  const file = readFileSync(await download.path(), 'utf8');
  assert.deepEqual(JSON.parse(file).budgets.map((b) => [b.name, b.scope, b.monthly_usd]), [['Everything', 'all', 150000], ['Jobs', 'compute_type', 1000]]);
  const dir = tempDir();
  const saved = path.join(dir, 'budgets.json');
  writeFileSync(saved, file);
  const cli = JSON.parse(copilot('report', 'budget_status', '--db', SEEDED_DB, '--budgets', saved, '--format', 'json'));
  const shown = await kpis(page);
  for (const [name, value] of Object.entries(cli.kpis)) assert.equal(shown[name], value, `KPI ${name}`);
  assert.deepEqual([cli.kpis.over, cli.kpis.at_risk], [1, 1]);
  const statuses = await page.locator('[data-table=budgets] tbody tr').evaluateAll((rs) => rs.map((r) => r.textContent));
  assert.match(statuses[0], /^Jobs.*over/);

  // Kept in this browser with the dataset: a reload has them.
  await page.reload();
  await page.locator('[data-testid=budgets-table] tr[data-budget="Jobs"]').waitFor({ timeout: 30000 });
  assert.deepEqual(await kpis(page).then((k) => [k.budgets, k.over]), [2, 1]);

  // Removed, then imported back from the file.
  await page.locator('[data-testid=budgets-table] tr[data-budget="Jobs"] [data-testid=budget-remove]').click();
  await page.locator('[data-testid=budgets-table] tr[data-budget="Jobs"]').waitFor({ state: 'detached' });
  assert.equal((await kpis(page)).budgets, 1);
  await page.getByTestId('budgets-import').setInputFiles(saved);
  await page.locator('[data-testid=budgets-table] tr[data-budget="Jobs"]').waitFor();
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, '{"version": 1,\n "budgets": [{"name": "x", "scope": "team"}]}');
  await page.getByTestId('budgets-import').setInputFiles(broken);
  assert.match(await page.getByTestId('budgets-error').textContent(), /^The budgets file is not valid: unknown variant `team`.*\(line 2, column \d+\)\.$/);
  assert.equal(await page.locator('[data-testid=budgets-table] tbody tr').count(), 2, 'a bad file changes nothing');

  // A budget's bar selects it; every chip answers offline, grounded.
  const chart = page.locator('[data-chart=forecast_vs_budget] .chart');
  await chart.locator('canvas').first().waitFor();
  await chart.scrollIntoViewIfNeeded();
  const point = await chart.evaluate((el) => {
    const inst = echarts.getInstanceByDom(el);
    const top = inst.getOption().yAxis[0].data.length - 1;
    // The "Spent so far" bar (the budget's own bar may be too thin to hit).
    const rect = inst.getModel().getSeriesByIndex(0).getData().getItemLayout(top);
    return [rect.x + rect.width / 2, rect.y + rect.height / 2];
  });
  const box = await chart.boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
  await page.locator('[data-testid=selection-banner][data-entity="budget:Jobs"]').waitFor();
  const lanes = await page.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.dataset.lane));
  assert.deepEqual(lanes, ['Understand', 'Diagnose', 'Optimize', 'Monitor']);
  const chips = await page.locator('[data-chip-id]').evaluateAll((cs) => cs.map((c) => c.dataset.chipId));
  assert.deepEqual(chips.filter((c) => c.startsWith('budget.')).sort(),
    ['budget.alert', 'budget.back_under', 'budget.drivers', 'budget.standing', 'budget.why_at_risk']);
  for (const [i, chip] of chips.entries()) {
    await page.locator(`[data-chip-id="${chip}"]`).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length === n, i + 1);
    const answer = page.getByTestId('answer').first();
    assert.equal(await answer.getByTestId('answer-source').textContent(), 'Offline answer', chip);
    assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '0', chip);
  }
  // The burn-down shows the selected budget.
  const facet = await page.getByTestId('facet-burn_down').inputValue();
  assert.equal(facet, '2');
  assert.deepEqual(errors, []);
  await page.close();
});
