// The engine's dedicated worker (written into dist/ by build-tools/web/postbuild.mjs, which
// fills in this build's file names): the app's own wasm, which sees it runs in a worker and
// answers the page's requests instead of drawing a page. Messages that arrive while the
// wasm loads are kept for it.
self.__pending = [];
self.onmessage = (event) => { self.__pending.push(event.data); };
const { default: init } = await import('./__JS__');
await init({ module_or_path: new URL('./__WASM__', import.meta.url) });
