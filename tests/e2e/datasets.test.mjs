// Datasets kept in the browser (OPFS): a database opened from a file and an import are
// both kept, listed on the overview and in the header's picker; switching shows each
// one's own figures (the CLI's, on the same files); a rename sticks; a reload reopens the
// last dataset in place (no copy); deleting one removes it for good; the demo stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, tempDir, ROOT, SEEDED_DB, usd } from './harness.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures/system-tables');
const exports = readdirSync(FIXTURES).filter((f) => /\.(csv|jsonl)$/.test(f)).map((f) => path.join(FIXTURES, f));

let server; let browser; let small;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // A database of its own shape: fewer jobs and days than the demo, so its figures differ.
  small = path.join(tempDir(), 'small-account.db');
  copilot('db', '--jobs', '6', '--days', '20', '--out', small);
});
after(async () => { await browser?.close(); server?.stop(); });

const summaryOf = (db) => JSON.parse(copilot('summary', '--db', db, '--format', 'json'));

const keptRows = (page) => page.locator('[data-testid=datasets-table] tr[data-dataset]:not([data-dataset=demo])');

async function spendShown(page) {
  await page.getByTestId('summary-total-spend').waitFor({ timeout: 30000 });
  return page.getByTestId('summary-total-spend').textContent();
}

async function waitForSpend(page, expected) {
  await page.waitForFunction((want) => document.querySelector('[data-testid=summary-total-spend]')?.textContent === want,
    expected, { timeout: 60000 });
}

test('an opened database and an import are kept, switched between, renamed, reopened in place and deleted', async () => {
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  const demo = usd(summaryOf(SEEDED_DB).total_spend_usd);
  assert.equal(await spendShown(page), demo);
  assert.equal(await keptRows(page).count(), 0, 'a fresh browser keeps nothing');

  // Open a database file: it is copied into the browser's storage and listed with its size.
  await page.getByTestId('open-db-input').setInputFiles(small);
  const smallSpend = usd(summaryOf(small).total_spend_usd);
  assert.notEqual(smallSpend, demo);
  await waitForSpend(page, smallSpend);
  await keptRows(page).first().waitFor({ timeout: 30000 });
  const first = keptRows(page).first();
  const firstId = await first.getAttribute('data-dataset');
  assert.equal(await first.getByTestId('dataset-name').textContent(), 'small-account.db');
  assert.equal(Number(await first.getAttribute('data-bytes')), statSync(small).size, 'the kept copy has the file\'s size');
  assert.equal(await page.getByTestId('dataset-switch').inputValue(), firstId);

  // Import the fixture exports: a second dataset, opened at once.
  const payload = exports.map((f) => ({ name: path.basename(f), text: readFileSync(f, 'utf8') }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([f.text], f.name));
    const target = document.querySelector('.app');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, payload);
  await page.getByTestId('import-page').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('gap-total').textContent(), '$25.70');
  await page.goto(`${server.url}/#/`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=datasets-table] tr[data-dataset]').length === 3, null, { timeout: 30000 });
  const importId = await page.getByTestId('dataset-switch').inputValue();
  assert.notEqual(importId, firstId);
  const options = await page.locator('[data-testid=dataset-switch] option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(options, ['demo', firstId, importId]);

  // Switching shows each dataset's own figures.
  await page.getByTestId('dataset-switch').selectOption(firstId);
  await waitForSpend(page, smallSpend);
  await page.getByTestId('dataset-switch').selectOption('demo');
  await waitForSpend(page, demo);
  await page.getByTestId('dataset-switch').selectOption(firstId);
  await waitForSpend(page, smallSpend);

  // Rename: the table and the picker say the new name, and a name in use is refused.
  const row = page.locator(`[data-testid=datasets-table] tr[data-dataset=${firstId}]`);
  await row.getByTestId('dataset-rename').click();
  await row.getByTestId('dataset-name-input').fill('Small account (prod)');
  await row.getByTestId('dataset-rename-save').click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid=datasets-table] tr[data-dataset=${id}] [data-testid=dataset-name]`)?.textContent === 'Small account (prod)', firstId, { timeout: 30000 });
  assert.equal(await page.locator(`[data-testid=dataset-switch] option[value=${firstId}]`).textContent(), 'Small account (prod)');
  const importRow = page.locator(`[data-testid=datasets-table] tr[data-dataset=${importId}]`);
  await importRow.getByTestId('dataset-rename').click();
  await importRow.getByTestId('dataset-name-input').fill('Small account (prod)');
  await importRow.getByTestId('dataset-rename-save').click();
  await page.getByTestId('datasets-error').waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('datasets-error').textContent(), /Small account \(prod\)/);

  // The open dataset cannot be deleted; the other one can.
  assert.equal(await row.getByTestId('dataset-delete').count(), 0, 'no delete button on the open dataset');

  // A reload reopens the last dataset from the browser's storage, in place: no copy.
  const progress = [];
  page.on('console', (m) => progress.push(m.text()));
  await page.reload();
  await waitForSpend(page, smallSpend);
  assert.equal(await page.getByTestId('dataset-switch').inputValue(), firstId);
  assert.equal(await page.locator(`[data-testid=datasets-table] tr[data-dataset=${firstId}] [data-testid=dataset-name]`).textContent(), 'Small account (prod)');
  const copying = await page.evaluate(() => document.body.textContent.includes('Copying'));
  assert.equal(copying, false, 'reopening does not copy the file again');

  // Delete the import for good; after a reload it is still gone, and the demo is still there.
  await importRow.getByTestId('dataset-delete').click();
  await importRow.getByTestId('dataset-delete-confirm').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=datasets-table] tr[data-dataset]').length === 2, null, { timeout: 30000 });
  await page.reload();
  await waitForSpend(page, smallSpend);
  assert.deepEqual(await page.locator('[data-testid=dataset-switch] option').evaluateAll((os) => os.map((o) => o.value)), ['demo', firstId]);
  await page.getByTestId('dataset-switch').selectOption('demo');
  await waitForSpend(page, demo);
  assert.deepEqual(errors, []);
});
