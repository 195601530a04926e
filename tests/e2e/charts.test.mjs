// The ECharts the page ships (build-tools/web/echarts-entry.mjs registers only what
// src/charts/ uses) draws every chart the app builds: every report's charts, a chart with
// no data, the summary's spend chart and the evidence subgraph. A production ECharts ignores
// a series type or component it was not built with, silently, so each chart's option as the
// page passed it to setOption is compared with the models ECharts made of it: every
// component, series and mark must have one, of its type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, ROOT } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

// Every report (a SQL file with its spec), not a list kept here.
const REPORTS = readdirSync(path.join(ROOT, 'sql/reports')).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();

// Keeps a copy of each option handed to an ECharts instance, on the instance. Runs before the
// page's scripts: the global `echarts` is caught as the bundle defines it, and the instances'
// setOption is wrapped on first use (a UMD bundle fills the object after defining it).
function recordOptions() {
  let api;
  let wrapped = false;
  const wrap = () => {
    const probe = echarts.init(document.createElement('div'));
    const proto = Object.getPrototypeOf(probe);
    probe.dispose();
    const setOption = proto.setOption;
    proto.setOption = function (option, ...rest) {
      this.givenOptions = [...(this.givenOptions ?? []), JSON.parse(JSON.stringify(option))];
      return setOption.call(this, option, ...rest);
    };
  };
  Object.defineProperty(window, 'echarts', {
    configurable: true,
    get() {
      if (!wrapped && typeof api?.init === 'function') {
        wrapped = true;
        wrap();
      }
      return api;
    },
    set(value) { api = value; },
  });
}

// For each chart on the page: what the option asked for that ECharts made no model of. (Its
// getOption() is no help here: it hands back a component it has no class for as given.)
async function missingModels(page) {
  return page.locator('.chart').evaluateAll((els) => els.map((el) => {
    const inst = echarts.getInstanceByDom(el);
    const label = el.getAttribute('aria-label');
    if (!inst) return { label, missing: ['no ECharts instance'] };
    const given = inst.givenOptions.at(-1);
    const model = inst.getModel();
    const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    const missing = [];
    const used = Object.keys(given).filter((k) => typeof given[k] === 'object' && given[k] !== null);
    for (const key of used) {
      list(given[key]).forEach((want, i) => {
        const made = model.getComponent(key, i);
        if (!made) missing.push(`${key}[${i}]${want.type ? ` of type ${want.type}` : ''}`);
        else if (want.type !== undefined && made.subType !== want.type) missing.push(`${key}[${i}] of type ${want.type}, made ${made.subType}`);
      });
    }
    // Marks inside a series (markLine, markPoint, markArea) are models of their own component.
    const marks = list(given.series).flatMap((s) => ['markLine', 'markPoint', 'markArea'].filter((m) => s[m]));
    for (const mark of new Set(marks)) {
      if (!model.getComponent(mark, 0)) missing.push(mark);
    }
    return { label, used: used.sort(), types: list(given.series).map((s) => s.type), marks, missing };
  }));
}

async function chartsOf(page, expectedCount) {
  await page.waitForFunction((n) => {
    const els = [...document.querySelectorAll('.chart')];
    return els.length >= n && els.every((el) => echarts.getInstanceByDom(el)?.givenOptions);
  }, expectedCount, { timeout: 30000 });
  return missingModels(page);
}

test('every chart the app draws has a model for each component and series its option uses', async () => {
  const errors = [];
  const seen = [];
  const check = (charts, where) => {
    for (const c of charts) {
      assert.deepEqual(c.missing, [], `${where}: ${c.label}`);
      seen.push(c);
    }
  };
  for (const key of REPORTS) {
    const page = await openPage(browser, `${server.url}/#/report/${key}`, errors, recordOptions);
    await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
    const count = await page.locator('[data-chart]').count();
    assert.ok(count >= 1, key);
    check(await chartsOf(page, count), key);
    await page.close();
  }

  // A range without data: the chart is a title.
  const empty = await openPage(browser, `${server.url}/#/report/job_cost?from=2030-01-01&to=2030-01-31`, errors, recordOptions);
  await empty.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  const emptyCharts = await chartsOf(empty, 1);
  assert.ok(emptyCharts.some((c) => c.used.includes('title')), JSON.stringify(emptyCharts));
  check(emptyCharts, 'empty range');
  await empty.close();

  const summary = await openPage(browser, server.url, errors, recordOptions);
  await summary.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  check(await chartsOf(summary, 1), 'summary');
  await summary.close();

  // The evidence subgraph: a chip's answer, then the debug panel.
  const copilot = await openPage(browser, `${server.url}/#/report/job_cost?sel=job%3AJ-LEGACY-ETL`, errors, recordOptions);
  await copilot.getByTestId('selection-banner').waitFor({ timeout: 30000 });
  await copilot.locator('[data-chip-id="job.why_failing"]').click();
  await copilot.getByTestId('answer').first().waitFor();
  await copilot.getByTestId('debug-toggle').check();
  await copilot.getByTestId('debug-panel').locator('summary', { hasText: 'Subgraph' }).click();
  await copilot.locator('[aria-label="Evidence subgraph"] canvas').waitFor();
  check(await chartsOf(copilot, 2), 'copilot');
  await copilot.close();

  // The pages above used every series type and component the chart builders emit.
  const types = [...new Set(seen.flatMap((c) => c.types))].sort();
  assert.deepEqual(types, ['bar', 'graph', 'heatmap', 'line', 'scatter']);
  const components = [...new Set(seen.flatMap((c) => c.used))].sort();
  assert.deepEqual(components, ['dataZoom', 'grid', 'legend', 'series', 'title', 'tooltip', 'visualMap', 'xAxis', 'yAxis']);
  assert.deepEqual([...new Set(seen.flatMap((c) => c.marks))], ['markLine']);
  assert.deepEqual(errors, []);
});
