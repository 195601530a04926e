// Without a key the app runs fully: chips answer offline and the page says how to
// configure an LLM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage } from './harness.mjs';

let server; let browser;
before(async () => {
  server = await startServer({ LLM_API_KEY: '', OPENAI_API_KEY: '', LLM_BASE_URL: '', PROXY_ENV_FILE: '/nonexistent' });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); server?.stop(); });

test('no key: chips answer offline and the UI says how to configure one', async () => {
  const errors = [];
  const page = await openPage(browser, `${server.url}/#/report/spot_risk_by_job?sel=job%3AJ-ML-TRAINING`, errors);
  const status = page.locator('[data-testid=llm-status][data-state=not-configured]');
  await status.waitFor({ timeout: 30000 });
  assert.match(await status.textContent(), /put LLM_API_KEY=… .* in \.env and restart make app/);
  await page.locator('[data-chip-id="spot.root_cause"]').click();
  const answer = page.getByTestId('answer').first();
  await answer.waitFor();
  assert.equal(await answer.getAttribute('data-state'), 'offline');
  assert.match(await answer.getByTestId('answer-text').textContent(), /Spot capacity was lost 15 times/);
  assert.deepEqual(errors, []);
});
