// The service worker of one build (written into dist/ by build-tools/web/postbuild.mjs,
// which fills in VERSION and SHELL). It keeps the app shell and the seeded database in a
// cache named after the build, adds the docs index and model and the Parquet module once
// they have been fetched, and deletes other builds' caches when it takes over, so an offline reload always
// runs one build's files together. Online, everything that is not content-hashed is
// fetched from the network first, so a new deploy is used at once.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = `usage-copilot-${VERSION}`;
const scope = new URL(self.registration.scope);
const shellPaths = new Set(SHELL.map((u) => new URL(u, scope).pathname));
// trunk's content hashes are 16 hex digits, less when they start with zeros.
const HASHED = /-[0-9a-f]{12,16}(_bg)?\.(js|wasm|css|svg)$/;
// Fetched when first needed, then kept: the docs index and model, the Parquet module.
const LAZY = /\/(docs\/[^/]+\.bin|parquet\/[^/]+\.(js|wasm))$/;
// The LLM proxy's endpoints are live by nature: never cached.
const LIVE = /\/(healthz|v1\/)/;

// Filling the cache must not download the shell a second time: the page has just fetched
// it. Content-hashed files never change, so the browser's HTTP cache copy is taken as it
// is; everything else is revalidated with the server (a 304 costs no body) so a new deploy
// never pairs with an old file.
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(SHELL.map(async (u) => {
      const url = new URL(u, scope);
      const response = await fetch(new Request(url, { cache: HASHED.test(url.pathname) ? 'force-cache' : 'no-cache' }));
      if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
      await cache.put(url, response);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('usage-copilot-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin || LIVE.test(url.pathname)) return;
  event.respondWith(respond(request, url));
});

async function respond(request, url) {
  const cache = await caches.open(CACHE);
  if (HASHED.test(url.pathname)) {
    const hit = await cache.match(request);
    if (hit) return hit;
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  }
  try {
    const response = await fetch(request);
    const keep = shellPaths.has(url.pathname) || LAZY.test(url.pathname) || request.mode === 'navigate';
    if (response.ok && keep) await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    if (request.mode === 'navigate') {
      const index = await cache.match(new URL('index.html', scope));
      if (index) return index;
    }
    throw offline;
  }
}
