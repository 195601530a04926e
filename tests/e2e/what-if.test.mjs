// The What if lane in the browser: a selection with a counterfactual offers it between
// Optimize and Monitor; offline, the answer opens with the computed result, its formula and
// assumptions (the CLI's figures, all grounded); with an LLM (the scripted upstream), the
// same result stands above the model's text and the prompt sent is the CLI's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';
import { startScriptedLlm } from './scripted-llm.mjs';

let offline; let online; let llm; let browser;
before(async () => {
  llm = await startScriptedLlm();
  offline = await startServer();
  online = await startServer({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-e2e-what-if', LLM_MODEL: 'scripted-model', PROXY_RATE_BURST: '50' });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); offline?.stop(); online?.stop(); await llm?.close(); });

/** The CLI's evidence pack for a chip: its what-if fact (T2) and its messages. */
function cliPack(report, entity, chip) {
  const pack = JSON.parse(copilot('evidence', '--db', SEEDED_DB, '--report', report, '--entity', entity, '--chip', chip));
  const fact = pack.evidence.facts.find((f) => f.id === 'T2');
  assert.match(fact.title, /^What if: /, `${chip}: T2 is the counterfactual`);
  return { pack, fact, result: fact.text.split('. Formula: ')[0] };
}

async function chipsAndLanes(page) {
  const lanes = await page.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.dataset.lane));
  const whatIf = await page.locator('[data-lane="What if"] [data-chip-id]').evaluateAll((cs) => cs.map((c) => c.dataset.chipId));
  return { lanes, whatIf };
}

test('offline: the What if lane, and an answer that opens with the computed saving', async () => {
  const errors = [];
  const page = await openPage(browser, `${offline.url}/#/report/utilization?sel=compute%3AAPC-LEGACY`, errors);
  await page.locator('[data-testid=selection-banner][data-entity="compute:APC-LEGACY"]').waitFor({ timeout: 30000 });
  const { lanes, whatIf } = await chipsAndLanes(page);
  assert.deepEqual(lanes, ['Understand', 'Diagnose', 'Optimize', 'What if', 'Monitor']);
  assert.deepEqual(whatIf, ['whatif.auto_termination', 'whatif.job_compute']);
  assert.equal(await page.locator('[data-chip-id="whatif.auto_termination"]').textContent(), 'Auto-terminate after 10 min');

  for (const [i, chip] of whatIf.entries()) {
    const { result } = cliPack('utilization', 'compute:APC-LEGACY', chip);
    await page.locator(`[data-chip-id="${chip}"]`).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length === n, i + 1, { timeout: 30000 });
    const answer = page.getByTestId('answer').first();
    assert.match(await answer.getAttribute('data-chip'), new RegExp(`^${chip.replace('.', '\\.')}@1$`));
    const text = await answer.getByTestId('answer-text').textContent();
    // The result, then formula and assumptions, before the narrative about the cluster.
    const at = text.indexOf(result);
    assert.ok(at > 0, `${chip}: the CLI's result ${result} in\n${text}`);
    assert.ok(at < text.indexOf('Formula: ') && text.indexOf('Formula: ') < text.indexOf('Assumptions:'), text);
    assert.ok(text.indexOf('Assumptions:') < text.indexOf('Legacy ETL Cluster cost $10,854.59'), text);
    assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '0', `${chip}: ${text}`);
    assert.equal(await answer.getByTestId('grounding').getAttribute('data-uncited'), '0', chip);
    // The offline answer carries the block itself: no second copy above it.
    assert.equal(await answer.getByTestId('what-if').count(), 0);
  }
  assert.ok((await page.getByTestId('answer').last().textContent()).includes('$5,852.91 per 30 days'), 'auto-termination after 10 min');

  // A warehouse that already stops after 10 minutes has nothing to shorten and is no
  // all-purpose cluster: no What if lane.
  await page.goto(`${offline.url}/#/report/utilization?sel=compute%3AWH-FINANCE`);
  await page.locator('[data-testid=selection-banner][data-entity="compute:WH-FINANCE"]').waitFor({ timeout: 30000 });
  const warehouse = await chipsAndLanes(page);
  assert.deepEqual(warehouse.lanes, ['Understand', 'Diagnose', 'Optimize', 'Monitor']);
  assert.deepEqual(errors, []);
});

test('with an LLM: the computed result stands above the model text; the prompt is the CLI\'s', async () => {
  const errors = [];
  const page = await openPage(browser, `${online.url}/#/report/reliability_scorecard?sel=job%3AJ-LEGACY-ETL`, errors);
  await page.locator('[data-testid=llm-status][data-state=available]').waitFor({ timeout: 30000 });
  await page.locator('[data-testid=selection-banner][data-entity="job:J-LEGACY-ETL"]').waitFor();
  const { whatIf } = await chipsAndLanes(page);
  assert.deepEqual(whatIf, ['whatif.retry_cap']);
  const { pack, result } = cliPack('reliability_scorecard', 'job:J-LEGACY-ETL', 'whatif.retry_cap');
  assert.ok(result.includes('$17,107.20 over the 45 days of the range, $11,404.80 per 30 days'), result);
  const before = llm.requests.length;
  await page.locator('[data-chip-id="whatif.retry_cap"]').click();
  const answer = page.locator('[data-testid=answer][data-state=llm]').first();
  await answer.waitFor({ timeout: 30000 });
  const box = answer.getByTestId('what-if');
  assert.equal(await box.count(), 1);
  const boxText = await box.textContent();
  assert.ok(boxText.includes('What if: retries capped at 1 (computed, not by the LLM)'), boxText);
  assert.ok(boxText.includes(result), `${result} in ${boxText}`);
  assert.ok(boxText.includes('Formula: saving = Σ over incidents the cost of its failed attempts after the first 2'), boxText);
  assert.equal(await box.getAttribute('data-saving'), '17107.20');
  // The box comes before the model's text in the card.
  const order = await answer.evaluate((el) => {
    const all = [...el.querySelectorAll('[data-testid]')].map((n) => n.dataset.testid);
    return [all.indexOf('what-if'), all.indexOf('answer-text')];
  });
  assert.ok(order[0] >= 0 && order[0] < order[1], `${order}`);
  assert.deepEqual(llm.requests[before].body.messages, pack.messages);
  assert.ok(pack.messages[1].content.includes(`[T2] What if: retries capped at 1: ${result}`));
  assert.deepEqual(errors, []);
});
