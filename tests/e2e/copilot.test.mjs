// The copilot in the browser: a bar click, then "Why is this failing?" gives the offline
// narrative with the failure count; the debug panel holds exactly the CLI's messages; the
// evidence pack downloads; answers are kept per selection and cleared with the report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

async function clickTopBar(page) {
  const chart = page.locator('[data-chart=cost_by_job] .chart');
  await chart.locator('canvas').first().waitFor();
  const point = await chart.evaluate((el) => {
    const inst = echarts.getInstanceByDom(el);
    const option = inst.getOption();
    const top = option.yAxis[0].data.length - 1;
    return inst.convertToPixel({ seriesIndex: 0 }, [option.series[0].data[top].value / 2, top]);
  });
  const box = await chart.boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
}

test('bar click, "Why is this failing?", debug panel equals the CLI, evidence pack downloads', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/job_cost`, errors);
  await page.locator('[data-testid=report-kpis]').waitFor({ timeout: 30000 });
  await clickTopBar(page);
  await page.locator('[data-testid=selection-banner][data-entity="job:J-LEGACY-ETL"]').waitFor();
  await page.locator('[data-chip-id="job.why_failing"]').click();
  const answer = page.getByTestId('answer').first();
  await answer.waitFor();
  assert.equal(await answer.getByTestId('answer-source').textContent(), 'Offline answer');
  const text = await answer.getByTestId('answer-text').textContent();
  assert.match(text, /27 runs failed \(37\.5% of finished runs\)/);
  assert.match(text, /Query timeout after 3 hours in stage customer_merge/);
  assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '0');

  await page.getByTestId('debug-toggle').check();
  const panel = page.getByTestId('debug-panel');
  await panel.waitFor();
  const cli = JSON.parse(copilot('prompt', '--db', SEEDED_DB, '--report', 'job_cost', '--entity', 'job:J-LEGACY-ETL', '--chip', 'job.why_failing'));
  assert.equal(await panel.getByTestId('debug-message-system').textContent(), cli.messages[0].content);
  assert.equal(await panel.getByTestId('debug-message-user').textContent(), cli.messages[1].content);
  assert.match(await panel.textContent(), /Template job\.why_failing@1 · system prompt copilot-system@1/);

  const [download] = await Promise.all([page.waitForEvent('download'), answer.getByTestId('pack-json').click()]);
  assert.equal(download.suggestedFilename(), 'evidence_job_J-LEGACY-ETL_job.why_failing-v1.json');
  const pack = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(pack.chip, 'job.why_failing@1');
  assert.deepEqual(pack.messages, cli.messages);
  assert.equal(pack.evidence.entity_id, 'J-LEGACY-ETL');
  assert.ok(pack.evidence.facts.every((f) => f.sql.length > 0));
  assert.match(pack.answer, /27 runs failed/);
  const [md] = await Promise.all([page.waitForEvent('download'), answer.getByTestId('pack-md').click()]);
  assert.match(readFileSync(await md.path(), 'utf8'), /^# Evidence pack: Legacy Customer Data ETL \(job\)/);
  assert.deepEqual(errors, []);
});

test('answers are kept per selection, a follow-up is anchored, and a report switch clears them', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/job_cost?sel=job%3AJ-FIN-DAILY`, errors);
  await page.getByTestId('selection-banner').waitFor({ timeout: 30000 });
  await page.locator('[data-chip-id="core.explain"]').click();
  await page.locator('[data-chip-id="job.why_failing"]').click();
  await page.getByTestId('follow-up').fill('What happened on 2025-12-05?');
  await page.getByTestId('follow-up-ask').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=answer]').length === 3);
  const chips = await page.getByTestId('answer').evaluateAll((as) => as.map((a) => a.dataset.chip));
  assert.deepEqual(chips, ['', 'job.why_failing@1', 'core.explain@1'], 'newest first');
  assert.match(await page.getByTestId('answer').first().textContent(), /Follow-up: What happened on 2025-12-05\?/);

  await page.locator('[data-select="job:J-ROUTE-OPT"]').click();
  await page.locator('[data-testid=selection-banner][data-entity="job:J-ROUTE-OPT"]').waitFor();
  assert.equal(await page.getByTestId('answer').count(), 0);
  await page.goBack();
  await page.locator('[data-testid=selection-banner][data-entity="job:J-FIN-DAILY"]').waitFor();
  assert.equal(await page.getByTestId('answer').count(), 3, 'the history of a selection stays');

  await page.locator('[data-report=spot_risk_by_job]').click();
  await page.locator('[data-select="job:J-FIN-DAILY"]').click();
  await page.getByTestId('selection-banner').waitFor();
  assert.equal(await page.getByTestId('answer').count(), 0, 'a report switch clears stale answers');
  assert.deepEqual(errors, []);
});
