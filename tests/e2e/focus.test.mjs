// The overview's FOCUS export: the button downloads the file the engine (in its worker)
// wrote, byte for byte what `copilot export focus` writes for the same database, with the
// FOCUS header and one row per usage row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, copilot, tempDir, SEEDED_DB } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

test('the FOCUS button downloads every usage row as FOCUS 1.2, as the CLI writes it', async () => {
  const errors = [];
  const page = await openPage(browser, server.url, errors);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-focus').click()]);
  const summary = JSON.parse(copilot('summary', '--db', SEEDED_DB, '--format', 'json'));
  assert.equal(download.suggestedFilename(), `focus-1.2_${summary.first_date}_${summary.last_date}.csv`);
  const csv = readFileSync(await download.path(), 'utf8');

  const lines = csv.split('\r\n');
  assert.equal(lines.pop(), '', 'the file ends with CRLF');
  const header = lines[0].split(',');
  for (const column of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'ChargeCategory', 'ChargeClass',
    'ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd', 'BillingCurrency', 'ServiceName',
    'ServiceCategory', 'ProviderName', 'PublisherName', 'InvoiceIssuerName', 'PricingQuantity', 'PricingUnit',
    'SubAccountId', 'ResourceId', 'SkuId', 'Tags', 'x_JobId', 'x_JobRunId', 'x_SpotShare']) {
    assert.ok(header.includes(column), `${column} is in the header`);
  }
  const [{ n }] = JSON.parse(copilot('sql', '--db', SEEDED_DB, 'SELECT COUNT(*) AS n FROM compute_usage'));
  assert.equal(lines.length - 1, n, 'one row per usage row');

  const out = path.join(tempDir(), 'focus.csv');
  copilot('export', 'focus', '--db', SEEDED_DB, '--out', out);
  assert.equal(csv, readFileSync(out, 'utf8'), 'the page and the CLI write the same bytes');
  assert.deepEqual(errors, []);
});
