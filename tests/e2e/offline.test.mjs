// Hosting: dist/ served by a plain static file server under a sub-path (/copilot/). One
// online visit, then the network is cut (Playwright offline mode): a reload still shows the
// reports, a chip answers with its offline narrative, and the LLM status says offline.
// Deploying a second build (its own build id compiled into the wasm) and reloading runs
// that build entirely — online, and offline from its cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { launchBrowser, tempDir, DIST, ROOT } from './harness.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

const HASHED = /-[0-9a-f]{12,16}(_bg)?\.(js|wasm|css|svg)$/;

/** A plain static server for `site.dir` under /copilot/ (no compression, no proxy), with
 * the caching headers a static host sends: hashed files immutable, the rest revalidated by
 * ETag. It counts the body bytes it sends per path. */
async function staticServer(site) {
  const sent = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith('/copilot/')) { res.writeHead(404).end(); return; }
    let file = path.join(site.dir, decodeURIComponent(url.pathname.slice('/copilot/'.length)));
    if (!file.startsWith(site.dir)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const stat = statSync(file);
    const etag = `"${stat.size}-${stat.mtimeMs}"`;
    const cache = HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    if (req.headers['if-none-match'] === etag) { res.writeHead(304, { etag, 'cache-control': cache }).end(); return; }
    const body = readFileSync(file);
    sent.set(url.pathname, (sent.get(url.pathname) ?? 0) + body.length);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': cache, etag });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { sent, url: `http://127.0.0.1:${server.address().port}/copilot/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

let browser; let buildB;
const BUILD_A = JSON.parse(readFileSync(path.join(DIST, 'version.json'), 'utf8')).build;
before(async () => {
  browser = await launchBrowser();
  // Build B: the same sources with another build id (only the app crate recompiles).
  buildB = path.join(tempDir(), 'dist-b');
  const env = { ...process.env, COPILOT_BUILD_ID: 'e2e-build-b', PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` };
  execFileSync('trunk', ['build', '--release', '--public-url', './', '--dist', buildB], { cwd: ROOT, env, stdio: 'ignore' });
  execFileSync('node', ['build-tools/web/postbuild.mjs', buildB, 'e2e-build-b'], { cwd: ROOT, env, stdio: 'ignore' });
}, { timeout: 15 * 60 * 1000 });
after(async () => { await browser?.close(); });

async function onlineVisit(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
  // Wait until this build's service worker controls the page and has cached the shell.
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  return page;
}

test('after one visit, a reload with the network off shows reports, answers a chip offline, and says the LLM is offline', async () => {
  const dir = path.join(tempDir(), 'site');
  cpSync(DIST, dir, { recursive: true });
  const site = await staticServer({ dir });
  const context = await browser.newContext();
  try {
    const page = await onlineVisit(context, site.url);
    assert.equal(await page.getByTestId('build-id').getAttribute('data-build'), BUILD_A);
    // The first visit moved each file of the shell once: the service worker filled its
    // cache from the browser's copies instead of downloading the shell again.
    const twice = [...site.sent].filter(([p, bytes]) => bytes > statSync(path.join(dir, p.slice('/copilot/'.length) || 'index.html')).size);
    assert.deepEqual(twice, [], 'no file was downloaded twice on the first visit');
    assert.ok(site.sent.has('/copilot/data/usage_rag_data.db'), 'the seeded database was fetched (once)');
    await context.setOffline(true);
    await page.goto(`${site.url}#/report/job_cost?sel=job%3AJ-LEGACY-ETL`);
    await page.reload();
    await page.locator('[data-table=jobs] tbody tr').first().waitFor({ timeout: 30000 });
    await page.locator('[data-testid=llm-status][data-state=offline]').waitFor({ timeout: 30000 });
    await page.locator('[data-chip-id="job.why_failing"]').click();
    const answer = page.getByTestId('answer').first();
    await answer.waitFor();
    assert.equal(await answer.getByTestId('answer-source').textContent(), 'Offline answer');
    assert.match(await answer.getByTestId('answer-text').textContent(), /27 runs failed/);
  } finally {
    await context.close();
    await site.close();
  }
});

test('deploying build B over build A: a reload runs B entirely, online and then offline', async () => {
  const root = tempDir();
  const site = { dir: path.join(root, 'a') };
  cpSync(DIST, site.dir, { recursive: true });
  const server = await staticServer(site);
  const context = await browser.newContext();
  try {
    const page = await onlineVisit(context, server.url);
    assert.equal(await page.getByTestId('build-id').getAttribute('data-build'), BUILD_A);
    // Deploy B: the server now serves B's folder.
    site.dir = buildB;
    await page.reload();
    await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
    assert.equal(await page.getByTestId('build-id').getAttribute('data-build'), 'e2e-build-b', 'the wasm that runs is B');
    // B's service worker takes over and drops A's cache.
    await page.waitForFunction(async () => {
      const keys = await caches.keys();
      return keys.length === 1 && keys[0] === 'usage-copilot-e2e-build-b';
    }, null, { timeout: 30000, polling: 250 });
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('dataset-summary').waitFor({ timeout: 30000 });
    assert.equal(await page.getByTestId('build-id').getAttribute('data-build'), 'e2e-build-b');
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => /\.(js|wasm)$/.test(p)));
    const bFiles = new Set(readFileSync(path.join(buildB, 'index.html'), 'utf8').match(/usage-copilot-[0-9a-f]+(_bg\.wasm|\.js)/g));
    for (const s of scripts.filter((p) => p.includes('usage-copilot-'))) {
      assert.ok(bFiles.has(path.basename(s)), `${s} belongs to build B`);
    }
  } finally {
    await context.close();
    await server.close();
  }
});
