// Opening one's own file: bad files give an error panel that names the problem while
// the earlier data stays; a good file (here one in the original project's schema)
// replaces the seeded data, by file picker and by drag-and-drop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, tempDir, ROOT, SEEDED_DB, usd } from './harness.mjs';

let server; let browser; let dir;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  dir = tempDir();
  // A valid SQLite file that lacks job_runs, and one in the original project's schema.
  const missing = path.join(dir, 'no_job_runs.db');
  copilot('db', '--out', missing);
  copilot('sql', '--db', missing, '--write', 'DROP TABLE job_runs; VACUUM');
  copilot('sql', '--db', path.join(dir, 'original.db'), '--write', '--file',
    path.join(ROOT, 'tests/fixtures/original_project.sql'));
  writeFileSync(path.join(dir, 'notes.db'), 'date,cost\n2025-11-01,3.50\n');
});
after(async () => { await browser?.close(); server?.stop(); });

async function seededPage() {
  const page = await openPage(browser, server.url);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  return page;
}

const seeded = () => JSON.parse(copilot('summary', '--db', SEEDED_DB, '--format', 'json'));

test('a non-SQLite file is rejected by name and the seeded data stays', async () => {
  const page = await seededPage();
  await page.getByTestId('open-db-input').setInputFiles(path.join(dir, 'notes.db'));
  const panel = page.getByTestId('load-error');
  await panel.waitFor();
  assert.match(await panel.textContent(), /Could not open notes\.db/);
  assert.equal(await page.getByTestId('load-error-message').textContent(),
    'This is not a SQLite database: the file does not start with the SQLite header.');
  assert.match(await panel.textContent(), /Still showing: Seeded demo data\./);
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), usd(seeded().total_spend_usd));
  assert.equal(await page.getByTestId('data-source').textContent().then((t) => t.split(',')[0]), 'Seeded demo data');
});

test('a SQLite file without job_runs names the missing table and the seeded data stays', async () => {
  const page = await seededPage();
  await page.getByTestId('open-db-input').setInputFiles(path.join(dir, 'no_job_runs.db'));
  await page.getByTestId('load-error').waitFor();
  assert.equal(await page.getByTestId('load-error-message').textContent(),
    'This database does not have the usage schema: missing table job_runs.');
  assert.equal(Number(await page.getByTestId('summary-jobs').getAttribute('data-value')), seeded().jobs);
  // Dismissing the panel leaves the page usable.
  await page.getByRole('button', { name: 'Dismiss' }).click();
  assert.equal(await page.getByTestId('load-error').count(), 0);
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), usd(seeded().total_spend_usd));
});

test('a database in the original schema replaces the data, by picker and by drop', async () => {
  const original = path.join(dir, 'original.db');
  const expected = JSON.parse(copilot('summary', '--db', original, '--format', 'json'));
  const page = await seededPage();
  await page.getByTestId('open-db-input').setInputFiles(original);
  await page.waitForFunction(() => document.querySelector('[data-testid=data-source]')?.textContent.startsWith('original.db'));
  assert.equal(Number(await page.getByTestId('summary-jobs').getAttribute('data-value')), expected.jobs);
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), usd(expected.total_spend_usd));

  // Drag-and-drop of the seeded file switches back.
  const bytes = [...readFileSync(SEEDED_DB)];
  await page.evaluate((data) => {
    const file = new File([new Uint8Array(data)], 'dropped.db');
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const target = document.querySelector('.app');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => document.querySelector('[data-testid=data-source]')?.textContent.startsWith('dropped.db'));
  assert.equal(await page.getByTestId('summary-total-spend').textContent(), usd(seeded().total_spend_usd));
});
