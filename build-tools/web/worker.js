// The engine's dedicated worker (written into dist/ by build-tools/web/postbuild.mjs, which
// fills in this build's file names): the app's own wasm, which sees it runs in a worker and
// answers the page's requests instead of drawing a page. Messages that arrive while the
// wasm loads are kept for it.
//
// The Parquet reader is a module of its own (dist/parquet/, the parquet-rows crate), loaded
// the first time the engine asks for a reader (src/worker/parquet.rs), so a visit that
// drops no Parquet file never downloads it.
self.__parquetLines = async (len) => {
  self.__parquet ??= import('./parquet/parquet_rows.js').then(async (module) => {
    await module.default({ module_or_path: new URL('./parquet/parquet_rows_bg.wasm', import.meta.url) });
    return module;
  });
  const module = await self.__parquet;
  return new module.ParquetLines(len);
};
self.__pending = [];
self.onmessage = (event) => { self.__pending.push(event.data); };
const { default: init } = await import('./__JS__');
await init({ module_or_path: new URL('./__WASM__', import.meta.url) });
