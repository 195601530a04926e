// Answers you can check, in the page, against the scripted upstream through copilot-proxy:
// a right number, a wrong one, an unknown [T42] and a number cited to the wrong fact are
// scored exactly as `copilot ask` scores them; a real number under the wrong label, an
// invented range and an answer without citations are shown as such; one flagged "5" marks
// exactly one token; an answer cut at the token limit says so; every SSE variant streams;
// a first token after a minute still answers and Stop works while waiting; and each LLM
// answer can be compared with the deterministic one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, launchBrowser, openPage, SEEDED_DB, ROOT } from './harness.mjs';
import { startScriptedLlm, SCORED_ANSWER, FIVE_ANSWER } from './scripted-llm.mjs';

/** The CLI, run without blocking this process (the scripted upstream lives in it). */
const copilotAsync = async (...args) => (await promisify(execFile)(path.join(process.env.COPILOT_BIN_DIR ?? path.join(ROOT, 'target/release'), 'copilot'), args, { encoding: 'utf8' })).stdout;

let llm; let server; let browser;
before(async () => {
  llm = await startScriptedLlm({ delayMs: 20 });
  server = await startServer({ LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-e2e-checks', LLM_MODEL: 'scripted-model', PROXY_RATE_BURST: '100', PROXY_RATE_PER_MINUTE: '600' });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); server?.stop(); await llm?.close(); });

let page;
/** Asks "Why is this failing?" of J-LEGACY-ETL with `scenario` queued; resolves to the answer once it is done. */
async function ask(scenario, state = 'llm') {
  if (!page) {
    page = await openPage(browser, `${server.url}/#/report/job_cost?sel=job%3AJ-LEGACY-ETL`);
    await page.locator('[data-testid=llm-status][data-state=available]').waitFor({ timeout: 30000 });
    await page.getByTestId('selection-banner').waitFor();
  }
  const before = await page.getByTestId('answer').count();
  llm.queue(scenario);
  await page.locator('[data-chip-id="job.why_failing"]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=answer]').length > n, before);
  const answer = page.getByTestId('answer').first();
  await page.locator(`[data-testid=answer]:first-child[data-state=${state}]`).waitFor({ timeout: 30000 });
  return answer;
}

const attr = (answer, name) => answer.getByTestId('grounding').getAttribute(name);
const marks = (answer, cls) => answer.locator(`[data-testid=answer-text] mark.${cls}`).allTextContents();

test('a right, a wrong, an unknown and a misattributed citation are scored exactly, as copilot ask scores them', async () => {
  const answer = await ask('scored');
  assert.equal(await answer.getByTestId('answer-text').textContent(), SCORED_ANSWER);
  assert.deepEqual(
    [await attr(answer, 'data-ungrounded'), await attr(answer, 'data-unsupported'), await attr(answer, 'data-unknown')],
    ['1', '1', '1'],
  );
  assert.deepEqual(await marks(answer, 'ungrounded'), ['$999.99']);
  assert.deepEqual(await marks(answer, 'unsupported'), ['72']);
  assert.deepEqual(await marks(answer, 'unknown-citation'), ['[T42]']);
  assert.match(await answer.getByTestId('grounding').textContent(), /2 of 3 numbers are 1 not in the evidence and 1 not in the facts they cite \(marked\)\. Unknown citation: \[T42\]\./);
  // The debug panel counts them.
  await page.getByTestId('debug-toggle').check();
  assert.match(await page.getByTestId('debug-checks').textContent(), /^3 numbers: 1 grounded \(0 derived\), 1 ungrounded, 1 unsupported by their citation · 1 unknown citation/);
  await page.getByTestId('debug-toggle').uncheck();
  // The CLI, through the same proxy, scores the same answer the same way.
  llm.queue('scored');
  const cli = JSON.parse(await copilotAsync('ask', '--db', SEEDED_DB, '--report', 'job_cost', '--entity', 'job:J-LEGACY-ETL', '--chip', 'job.why_failing', '--proxy', server.url, '--format', 'json'));
  assert.equal(cli.answer, SCORED_ANSWER);
  assert.deepEqual(cli.grounding.ungrounded, ['$999.99']);
  assert.deepEqual(cli.citations.unknown, ['T42']);
  assert.deepEqual(cli.citations.unsupported.map((u) => u.text), ['72']);
  // Both sent the messages `copilot prompt` prints, with a low temperature.
  const [pageSent, cliSent] = llm.requests.slice(-2).map((r) => r.body);
  assert.deepEqual(pageSent.messages, cliSent.messages);
  assert.equal(pageSent.temperature, 0.2);
});

test('a real number under the wrong label, an invented range and an answer without citations are flagged', async () => {
  const wrong = await ask('wrong-label');
  assert.deepEqual(await marks(wrong, 'ungrounded'), ['62.50%'], '62.50% is the success rate, not the share of job spend');
  const range = await ask('range');
  assert.deepEqual(await marks(range, 'ungrounded'), ['10-20%']);
  const uncited = await ask('uncited');
  assert.equal(await attr(uncited, 'data-uncited'), 'all');
  assert.match(await uncited.getByTestId('grounding').textContent(), /This answer cites no evidence\./);
});

test('the only ungrounded "5" marks exactly one token, not the 5s in 2025, $135,626.77 or 5.00%', async () => {
  const answer = await ask('five');
  assert.equal(await answer.getByTestId('answer-text').textContent(), FIVE_ANSWER);
  const all = await answer.locator('[data-testid=answer-text] mark').allTextContents();
  assert.deepEqual(all, ['5']);
  const html = await answer.locator('[data-testid=answer-text] p').evaluate((p) => p.innerHTML.replace(/<!--.*?-->/g, ''));
  assert.match(html, /and <mark[^>]*>5<\/mark> retries/, 'the mark is the token before "retries"');
});

test('an answer cut at the token limit says so; one fact per line stays one per line', async () => {
  const cut = await ask({ text: 'It failed 27 times [T2] because', variant: 'length' });
  assert.match(await cut.getByTestId('answer-cut').textContent(), /Answer cut at the token limit/);
  const lines = await ask('lines');
  assert.equal(await lines.locator('[data-testid=answer-text] p br').count(), 2);
});

test('every SSE variant real servers send streams the same answer', async () => {
  for (const v of ['nospace', 'crlf', 'comments', 'usage', 'reasoning']) {
    const answer = await ask({ text: 'It failed 27 times [T2].', variant: v });
    assert.equal(await answer.getByTestId('answer-text').textContent(), 'It failed 27 times [T2].', v);
    assert.equal(await attr(answer, 'data-ungrounded'), '0', v);
  }
  const broken = await ask({ text: 'It failed 27 times [T2].', variant: 'error-mid' }, 'failed');
  assert.equal(await broken.getByTestId('answer-text').textContent(), 'It failed 27 times [T2].');
  assert.match(await broken.getByTestId('answer-notice').textContent(), /model overloaded/);
});

test('each LLM answer can be compared with the deterministic answer', async () => {
  const answer = await ask('scored');
  await answer.getByTestId('compare-toggle').click();
  assert.match(await answer.getByTestId('compare-offline').textContent(), /27 runs failed \(37\.5% of finished runs\)/);
  await answer.getByTestId('compare-toggle').click();
  assert.equal(await answer.getByTestId('compare-offline').count(), 0);
});

test('Stop works while waiting for the first token', async () => {
  await ask('scored');
  llm.queue({ text: 'never shown', firstTokenMs: 120000 });
  await page.locator('[data-chip-id="job.why_failing"]').click();
  const answer = page.getByTestId('answer').first();
  await answer.getByTestId('answer-waiting').waitFor({ timeout: 10000 });
  assert.match(await answer.getByTestId('answer-waiting').textContent(), /^Waiting for the model, \d+ s/);
  const started = Date.now();
  await answer.getByTestId('answer-stop').click();
  await page.locator('[data-testid=answer]:first-child[data-state=stopped]').waitFor({ timeout: 5000 });
  assert.ok(Date.now() - started < 5000);
  assert.equal(await answer.getByTestId('answer-waiting').count(), 0);
});

test('a first token after 60 s still answers (the old 30 s idle limit cut it)', async () => {
  llm.queue({ text: 'It failed 27 times [T2].', firstTokenMs: 60000 });
  await page.locator('[data-chip-id="job.why_failing"]').click();
  const answer = page.getByTestId('answer').first();
  await answer.getByTestId('answer-waiting').waitFor({ timeout: 10000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=answer-waiting]')?.dataset.seconds) >= 31, null, { timeout: 45000 });
  await page.locator('[data-testid=answer]:first-child[data-state=llm]').waitFor({ timeout: 60000 });
  assert.equal(await answer.getByTestId('answer-text').textContent(), 'It failed 27 times [T2].');
});
