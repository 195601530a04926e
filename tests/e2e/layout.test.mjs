// Tables and the commentary fit the page at common laptop sizes: a wide table scrolls inside
// its card (the card itself never overflows), rows stay within a bounded height, and the
// commentary pane can be widened, which this browser remembers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

/** Every table card's widths and its rows' heights, measured in the page. */
const measure = (page) => page.evaluate(() => [...document.querySelectorAll('.table-panel')].map((card) => {
  const wrapper = card.querySelector('.table-scroll');
  const rows = [...card.querySelectorAll('tbody tr')].filter((r) => !r.querySelector('td[colspan]'));
  // A line of table text: the cells' font size times 1.5 (their line-height is 'normal').
  const line = 1.5 * parseFloat(getComputedStyle(card.querySelector('td')).fontSize);
  return {
    id: card.dataset.table,
    cardScroll: card.scrollWidth,
    cardClient: card.clientWidth,
    cardRight: card.getBoundingClientRect().right,
    pageWidth: document.documentElement.clientWidth,
    overflowX: getComputedStyle(wrapper).overflowX,
    tableWidth: wrapper.scrollWidth,
    wrapperWidth: wrapper.clientWidth,
    tallest: Math.max(...rows.map((r) => r.getBoundingClientRect().height)),
    line,
  };
}));

for (const [width, height] of [[1440, 900], [1280, 800]]) {
  test(`tables fit their cards at ${width}x${height}`, async () => {
    const page = await browser.newPage({ viewport: { width, height } });
    for (const key of ['job_cost', 'spot_risk_by_job']) {
      await page.goto(`${server.url}/#/report/${key}`);
      await page.locator('.table-panel tbody tr').first().waitFor({ timeout: 30000 });
      const cards = await measure(page);
      assert.ok(cards.length > 0);
      for (const c of cards) {
        assert.equal(c.overflowX, 'auto', `${key}/${c.id}: the table scrolls inside its wrapper`);
        assert.ok(c.cardScroll <= c.cardClient, `${key}/${c.id}: the card does not overflow (${c.cardScroll} > ${c.cardClient})`);
        assert.ok(c.cardRight <= c.pageWidth, `${key}/${c.id}: the card ends inside the page`);
        // No row is taller than three lines of text (plus its padding).
        assert.ok(c.tallest <= 3 * c.line + 16, `${key}/${c.id}: a row is ${c.tallest}px tall (line ${c.line}px)`);
      }
      // The widest tables are wider than their cards at these sizes: they scroll, they are not cut.
      if (key === 'spot_risk_by_job') {
        const risk = cards.find((c) => c.id === 'risk');
        assert.ok(risk.tableWidth > risk.wrapperWidth, 'the spot risk table scrolls horizontally');
      }
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/layout-${key}-${width}.png`, fullPage: true });
    }
    await page.close();
  });
}

test('the commentary can be widened, and the page remembers it', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${server.url}/#/report/job_cost`);
  const pane = page.locator('aside.commentary');
  await pane.waitFor({ timeout: 30000 });
  const narrow = (await pane.boundingBox()).width;
  await page.getByTestId('commentary-width').click();
  await page.waitForFunction((w) => document.querySelector('aside.commentary').getBoundingClientRect().width > w + 100, narrow);
  const wide = (await pane.boundingBox()).width;
  assert.equal(await page.getByTestId('commentary-width').getAttribute('aria-pressed'), 'true');
  await page.reload();
  await pane.waitFor({ timeout: 30000 });
  await page.waitForFunction((w) => Math.abs(document.querySelector('aside.commentary').getBoundingClientRect().width - w) < 2, wide);
  // Tables still fit beside the wider pane.
  await page.locator('.table-panel tbody tr').first().waitFor();
  for (const c of await measure(page)) assert.ok(c.cardScroll <= c.cardClient, c.id);
  await page.getByTestId('commentary-width').click();
  await page.waitForFunction((w) => Math.abs(document.querySelector('aside.commentary').getBoundingClientRect().width - w) < 2, narrow);
  await page.close();
});
