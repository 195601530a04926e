// Documentation in the browser: nothing is fetched for telemetry-only chips (and their
// answers carry no Sources); the first ask that retrieves (a docs chip or a follow-up)
// loads the docs index and waits for the embedding model, so even the first click on a
// fresh page builds exactly the CLI's hybrid prompt. An LLM answer to a docs chip gets the
// Sources of the page it cited, and only that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB } from './harness.mjs';
import { startScriptedLlm } from './scripted-llm.mjs';

const SPOT_PAGE = 'https://docs.databricks.com/api/workspace/clusters/create';
const QUESTION = 'how does SPOT_WITH_FALLBACK work?';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

async function ask(page, question) {
  const count = await page.getByTestId('answer').count();
  await page.getByTestId('follow-up').fill(question);
  await page.getByTestId('follow-up-ask').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length > n, count, { timeout: 30000 });
  return page.getByTestId('answer').first();
}

test('docs load only for the first docs question; its answer lists the spot page, telemetry answers list none', async () => {
  const errors = [];
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/#/report/job_cost?sel=job%3AJ-FIN-DAILY`);
  await page.getByTestId('selection-banner').waitFor({ timeout: 30000 });

  await page.locator('[data-chip-id="job.why_failing"]').click();
  const telemetryAnswer = page.getByTestId('answer').first();
  await telemetryAnswer.waitFor();
  assert.match(await telemetryAnswer.getByTestId('answer-text').textContent(), /runs failed/);
  assert.doesNotMatch(await telemetryAnswer.textContent(), /Sources/);
  assert.deepEqual(fetched.filter((p) => p.includes('/docs/')), [], 'no docs file for a telemetry chip');
  const followUp = await ask(page, 'Why did it fail on Dec 6?');
  assert.doesNotMatch(await followUp.textContent(), /Sources/);

  const answer = await ask(page, QUESTION);
  const text = await answer.getByTestId('answer-text').textContent();
  assert.match(text, /Sources \(Databricks Docs\):/);
  assert.ok(text.includes(`Spot instances, on-demand fallback and first_on_demand (AWS) — ${SPOT_PAGE}`), text);
  assert.match(text, /SPOT_WITH_FALLBACK/);
  assert.ok(fetched.includes('/docs/docs-index.bin'));

  await page.getByTestId('debug-toggle').check();
  assert.equal(await page.getByTestId('debug-routing').textContent(), 'Routing: docs — asks how the product works ("how does")');
  // The ask waited for the model: retrieval is hybrid and the prompt is byte-for-byte the CLI's.
  assert.ok(fetched.includes('/docs/static-model.bin'));
  assert.equal(await page.getByTestId('debug-docs-source').textContent(), 'Documentation: 201 chunks from 37 pages, hybrid (BM25 + dense, RRF)');
  const cli = JSON.parse(copilot('prompt', '--db', SEEDED_DB, '--report', 'job_cost', '--entity', 'job:J-FIN-DAILY', '--question', QUESTION));
  assert.equal(await page.getByTestId('debug-message-user').textContent(), cli.messages[1].content);
  assert.deepEqual(errors, []);
});

test('the first docs chip on a fresh page sends exactly what copilot prompt prints, naming the retrieval mode', async () => {
  const llm = await startScriptedLlm({ delayMs: 5 });
  const proxy = await startServer({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-e2e-docs', LLM_MODEL: 'scripted-model' });
  try {
    const errors = [];
    const page = await openPage(browser, `${proxy.url}/#/report/job_cost?sel=job%3AJ-ROUTE-OPT`, errors);
    await page.locator('[data-testid=llm-status][data-state=available]').waitFor({ timeout: 30000 });
    llm.queue('docs');
    await page.locator('[data-chip-id="job.spot_risk"]').click();
    await page.locator('[data-testid=answer][data-state=llm]').first().waitFor({ timeout: 60000 });
    const sent = llm.requests.at(-1).body.messages;
    const cli = JSON.parse(copilot('prompt', '--db', SEEDED_DB, '--report', 'job_cost', '--entity', 'job:J-ROUTE-OPT', '--chip', 'job.spot_risk'));
    assert.equal(JSON.stringify(sent), JSON.stringify(cli.messages), 'byte for byte');
    assert.match(sent[1].content, /EVIDENCE, Databricks documentation, found by hybrid \(BM25 \+ dense, RRF\) search/);
    assert.deepEqual(errors, []);
  } finally {
    proxy.stop();
    await llm.close();
  }
});

test('a docs chip answered by the LLM ends with the Sources of the page it cited', async () => {
  const llm = await startScriptedLlm({ delayMs: 20 });
  const proxy = await startServer({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-e2e-docs', LLM_MODEL: 'scripted-model' });
  try {
    const errors = [];
    const page = await openPage(browser, `${proxy.url}/#/report/job_cost?sel=job%3AJ-ROUTE-OPT`, errors);
    await page.locator('[data-testid=llm-status][data-state=available]').waitFor({ timeout: 30000 });
    llm.queue('docs');
    await page.locator('[data-chip-id="job.spot_risk"]').click();
    const answer = page.locator('[data-testid=answer][data-state=llm]').first();
    await answer.waitFor({ timeout: 30000 });
    const text = await answer.getByTestId('answer-text').textContent();
    const sent = llm.requests.at(-1).body.messages[1].content;
    const d1 = sent.match(/^\[D1\] (.+?)(?: › .+?)? \((https:[^)]+)\)/m);
    assert.ok(d1, sent);
    const [said, sources] = text.split('Sources (Databricks Docs):');
    assert.ok(said.includes('on-demand ones [D1].'), text);
    assert.equal(sources?.trim(), `${d1[1]} — ${d1[2]}`, 'exactly the cited page');
    assert.deepEqual(errors, []);
  } finally {
    proxy.stop();
    await llm.close();
  }
});
