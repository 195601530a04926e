// Reports in the browser: every report draws its charts and tables; a click on a bar
// selects the job and shows its chips; filters change KPIs to the CLI's figures; the URL
// restores report, filters and selection on reload, and back/forward walk the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

const REPORTS = ['job_cost', 'compute_type_cost', 'job_cost_pareto', 'spot_risk_by_job', 'anomaly_detection'];

function cli(key, ...args) {
  return JSON.parse(copilot('report', key, '--db', SEEDED_DB, '--format', 'json', ...args));
}

async function reportPage(hash, errors = []) {
  const page = await openPage(browser, `${server.url}/${hash}`, errors);
  await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  return page;
}

async function kpi(page, name) {
  return Number(await page.locator(`[data-kpi="${name}"]`).getAttribute('data-value'));
}

test('every report renders its charts and tables with the CLI figures', async () => {
  for (const key of REPORTS) {
    const errors = [];
    const page = await reportPage(`#/report/${key}`, errors);
    const expected = cli(key);
    for (const [name, value] of Object.entries(expected.kpis)) {
      if (value !== null) assert.equal(await kpi(page, name), value, `${key} KPI ${name}`);
    }
    const charts = page.locator('[data-chart]');
    assert.ok(await charts.count() >= 1, key);
    for (const chart of await charts.all()) await chart.locator('canvas').first().waitFor();
    const tables = page.locator('[data-table]');
    assert.ok(await tables.count() >= 1, key);
    assert.ok(await tables.first().locator('tbody tr').count() >= 1, key);
    assert.deepEqual(errors, [], key);
    await page.close();
  }
});

test('clicking a bar in job_cost selects the job and shows its chips by lane', async () => {
  const page = await reportPage('#/report/job_cost');
  const chart = page.locator('[data-chart=cost_by_job] .chart');
  await chart.locator('canvas').first().waitFor();
  // Pixel position of the middle of the top bar (the most expensive job), from ECharts.
  const point = await chart.evaluate((el) => {
    const inst = echarts.getInstanceByDom(el);
    const option = inst.getOption();
    const top = option.yAxis[0].data.length - 1;
    const value = option.series[0].data[top].value;
    return inst.convertToPixel({ seriesIndex: 0 }, [value / 2, top]);
  });
  const box = await chart.boundingBox();
  // The tooltip comes from a callback bound in Rust (no eval under the page's CSP): the
  // bar's own row, labelled and formatted.
  await page.mouse.move(box.x + point[0], box.y + point[1]);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-chart=cost_by_job] .chart div')]
    .some((d) => d.innerText.includes('Legacy Customer Data ETL') && /\$[\d,]+\.\d\d/.test(d.innerText)), null, { timeout: 10000 });
  await page.mouse.click(box.x + point[0], box.y + point[1]);
  const banner = page.getByTestId('selection-banner');
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-entity'), 'job:J-LEGACY-ETL');
  assert.match(page.url(), /sel=job%3AJ-LEGACY-ETL/);
  const lanes = await page.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.dataset.lane));
  assert.deepEqual(lanes, ['Understand', 'Diagnose', 'Optimize', 'What if', 'Monitor']);
  const chips = await page.locator('[data-chip-id]').evaluateAll((cs) => cs.map((c) => c.dataset.chipId));
  assert.ok(chips.includes('job.why_failing') && chips.includes('core.explain'), chips.join());
  assert.ok(chips.includes('whatif.retry_cap'), 'its failures offer "Cap retries at 1"');
  assert.ok(!chips.includes('job.spot_risk'), 'LEGACY has 5 % spot: no spot chip');
  await page.locator('[data-chip-id="job.why_failing"]').click();
  assert.equal(await page.getByTestId('answer').first().getAttribute('data-chip'), 'job.why_failing@1');
  // The same job's row is highlighted in the table.
  assert.equal(await page.locator('[data-table=jobs] tr.selected .row-select').getAttribute('data-entity'), 'job:J-LEGACY-ETL');
});

test('the date range drives the KPIs, and the URL restores the view; back and forward work', async () => {
  const page = await reportPage('#/report/job_cost');
  const all = cli('job_cost');
  assert.equal(await kpi(page, 'total_cost_usd'), all.kpis.total_cost_usd);

  await page.getByTestId('filter-from').fill('2025-12-01');
  await page.waitForFunction(() => location.hash.includes('from=2025-12-01'));
  const december = cli('job_cost', '--from', '2025-12-01');
  await page.waitForFunction((v) => document.querySelector('[data-kpi=total_cost_usd]').dataset.value === String(v), december.kpis.total_cost_usd);
  for (const name of ['runs', 'failed_runs', 'success_rate_pct', 'jobs']) {
    assert.equal(await kpi(page, name), december.kpis[name], name);
  }
  await page.locator('[data-select="job:J-ML-TRAINING"]').click();
  await page.getByTestId('selection-banner').waitFor();

  await page.reload();
  await page.locator('[data-testid=selection-banner][data-entity="job:J-ML-TRAINING"]').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('filter-from').inputValue(), '2025-12-01');
  assert.equal(await kpi(page, 'total_cost_usd'), december.kpis.total_cost_usd);
  assert.equal(await page.locator('[data-report].active').getAttribute('data-report'), 'job_cost');

  await page.goBack();
  await page.getByTestId('no-selection').waitFor();
  await page.goBack();
  await page.waitForFunction((v) => document.querySelector('[data-kpi=total_cost_usd]')?.dataset.value === String(v), all.kpis.total_cost_usd);
  await page.goForward();
  await page.waitForFunction((v) => document.querySelector('[data-kpi=total_cost_usd]')?.dataset.value === String(v), december.kpis.total_cost_usd);
});

test('a workspace filter and anomaly parameters reach the engine; bad values are explained', async () => {
  const page = await reportPage('#/report/anomaly_detection');
  await page.locator('[data-param=threshold]').fill('2.5');
  await page.locator('[data-param=threshold]').dispatchEvent('change');
  const looser = cli('anomaly_detection', '--param', 'threshold=2.5');
  await page.waitForFunction((v) => document.querySelector('[data-kpi=anomalies]')?.dataset.value === String(v), looser.kpis.anomalies);
  await page.locator('[data-param=window]').fill('1');
  await page.locator('[data-param=window]').dispatchEvent('change');
  await page.getByTestId('report-error').waitFor();
  assert.match(await page.getByTestId('report-error').textContent(), /Baseline window \(days\) must be between 3 and 90 \(got 1\)/);
  await page.getByTestId('filter-reset').click();
  await page.locator('[data-kpi=anomalies]').waitFor();
  assert.equal(await kpi(page, 'anomalies'), cli('anomaly_detection').kpis.anomalies);
});

test('a table downloads as CSV with the shown columns and all rows', async () => {
  const page = await reportPage('#/report/job_cost_pareto');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-ranking').click()]);
  assert.equal(download.suggestedFilename(), 'job_cost_pareto_ranking_2025-11-01_2025-12-15.csv');
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.equal(lines[0], 'rank,job_name,total_cost_usd,share_pct,cumulative_pct,failure_rate_pct,runs,tier');
  const expected = cli('job_cost_pareto');
  assert.equal(lines.length - 1, expected.rows.length);
  const first = expected.rows[0];
  assert.equal(lines[1], [first.rank, first.job_name, first.total_cost_usd, first.share_pct, first.cumulative_pct,
    first.failure_rate_pct, first.runs, first.tier].join(','));
});
