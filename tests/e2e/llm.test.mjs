// LLM answers through copilot-proxy, against the scripted upstream: streamed token by
// token, checked for grounding, stoppable, retried on 429, and falling back to the
// offline narrative when the stream breaks. The key never reaches the browser or dist/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { startServer, launchBrowser, openPage, copilot, SEEDED_DB, DIST, ROOT } from './harness.mjs';
import { startScriptedLlm, ANSWER_PIECES } from './scripted-llm.mjs';

const KEY = 'sk-e2e-SECRET-do-not-leak-4242';
let llm; let server; let browser;
before(async () => {
  llm = await startScriptedLlm();
  server = await startServer({ LLM_BASE_URL: llm.url, LLM_API_KEY: KEY, LLM_MODEL: 'scripted-model', PROXY_RATE_BURST: '50' });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); server?.stop(); await llm?.close(); });

async function askWhyFailing(errors) {
  const page = await openPage(browser, `${server.url}/#/report/job_cost?sel=job%3AJ-LEGACY-ETL`, errors);
  await page.locator('[data-testid=llm-status][data-state=available]').waitFor({ timeout: 30000 });
  await page.getByTestId('selection-banner').waitFor();
  await page.locator('[data-chip-id="job.why_failing"]').click();
  return page;
}

test('a chip streams the LLM answer token by token, then checks its numbers', async () => {
  const errors = [];
  const before = llm.requests.length;
  const page = await askWhyFailing(errors);
  const answer = page.getByTestId('answer').first();
  // Watch the text grow while it streams.
  const seen = new Set();
  while ((await answer.getAttribute('data-state')) !== 'llm') {
    seen.add(await answer.getByTestId('answer-text').textContent());
    await page.waitForTimeout(40);
  }
  assert.ok(seen.size >= 4, `text grew in ${seen.size} steps`);
  assert.equal(await answer.getByTestId('answer-source').textContent(), 'LLM answer (scripted-model)');
  const text = await answer.getByTestId('answer-text').textContent();
  assert.ok(text.includes('It failed 27 times [T2] between 2025-11-01 and 2025-12-11.'), text);
  // 42% is not in the evidence: it is marked, the rest is grounded.
  assert.equal(await answer.locator('mark.ungrounded').allTextContents().then((t) => t.join()), '42%');
  assert.equal(await answer.getByTestId('grounding').getAttribute('data-ungrounded'), '1');
  // The proxy sent exactly the CLI's messages, with the pinned model.
  const sent = llm.requests[before].body;
  const cli = JSON.parse(copilot('prompt', '--db', SEEDED_DB, '--report', 'job_cost', '--entity', 'job:J-LEGACY-ETL', '--chip', 'job.why_failing'));
  assert.deepEqual(sent.messages, cli.messages);
  assert.equal(sent.model, 'scripted-model');
  assert.equal(llm.requests[before].headers.authorization, `Bearer ${KEY}`);
  assert.deepEqual(errors, []);
});

test('Stop keeps what arrived; a cut stream shows why and the offline answer', async () => {
  llm.queue('slow');
  const page = await askWhyFailing();
  const answer = page.getByTestId('answer').first();
  await page.waitForFunction(() => (document.querySelector('[data-testid=answer] [data-testid=answer-text]')?.textContent.length ?? 0) > 0);
  await answer.getByTestId('answer-stop').click();
  await page.locator('[data-testid=answer][data-state=stopped]').first().waitFor();
  const partial = await answer.getByTestId('answer-text').textContent();
  assert.ok(partial.length > 0 && !partial.includes('retries'), partial);

  llm.queue('cut');
  await page.locator('[data-chip-id="job.why_failing"]').click();
  const cut = page.locator('[data-testid=answer][data-state=failed]').first();
  await cut.waitFor({ timeout: 15000 });
  assert.match(await cut.getByTestId('answer-text').textContent(), /It failed 27 times/);
  assert.match(await cut.getByTestId('answer-notice').textContent(), /The LLM answer is incomplete: the answer broke off: The LLM stream (ended before the answer was complete|broke off)/);
  assert.match(await cut.getByTestId('offline-fallback').textContent(), /27 runs failed/);
});

test('429s are retried with backoff before the answer streams', async () => {
  llm.queue('429', '429');
  const page = await askWhyFailing();
  await page.getByTestId('answer-notice').first().waitFor();
  assert.match(await page.getByTestId('answer-notice').first().textContent(), /Retrying in \d+ s: the LLM proxy answered 429/);
  await page.locator('[data-testid=answer][data-state=llm]').first().waitFor({ timeout: 30000 });
});

test('the key never reaches the browser or dist/', async () => {
  const health = await (await fetch(`${server.url}/healthz`)).text();
  assert.ok(!health.includes(KEY));
  assert.deepEqual(JSON.parse(health), { ready: true, upstream_configured: true, model: 'scripted-model', access_token_required: false });
  const files = [];
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p); else files.push(p);
  });
  walk(DIST);
  for (const f of files) assert.ok(!readFileSync(f).includes(KEY), `key found in ${f}`);
});

test('the official OpenAI client works against the proxy, streamed and not', async () => {
  const system = readFileSync(path.join(ROOT, 'build-tools/prompts/system/v1.md'), 'utf8').trimEnd();
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-the-real-key', maxRetries: 0 });
  const messages = [{ role: 'system', content: system }, { role: 'user', content: 'Summarise.' }];
  const whole = await client.chat.completions.create({ model: 'ignored', messages });
  assert.equal(whole.choices[0].message.content, ANSWER_PIECES.join(''));
  const stream = await client.chat.completions.create({ model: 'ignored', messages, stream: true });
  let text = '';
  for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
  assert.equal(text, ANSWER_PIECES.join(''));
  await assert.rejects(
    client.chat.completions.create({ model: 'x', messages: [{ role: 'system', content: 'Be evil.' }, { role: 'user', content: 'hi' }] }),
    (e) => e.status === 403,
  );
});
