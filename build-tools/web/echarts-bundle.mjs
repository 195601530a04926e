// Builds the page's ECharts (make dist): echarts-entry.mjs and the ES modules of the pinned
// npm echarts, bundled and minified by esbuild into one classic script that defines the
// global `echarts`. index.html hands the output to trunk, which hashes and copies it.
// Same inputs, same bytes. Prints the raw and brotli sizes.
// Usage: node build-tools/web/echarts-bundle.mjs OUT_FILE
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync } from 'node:zlib';
import { build } from 'esbuild';

const out = process.argv[2];
if (!out) {
  console.error('usage: node build-tools/web/echarts-bundle.mjs OUT_FILE');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const version = JSON.parse(readFileSync(path.join(here, '../../node_modules/echarts/package.json'), 'utf8')).version;

const result = await build({
  entryPoints: [path.join(here, 'echarts-entry.mjs')],
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'echarts',
  target: 'es2020',
  charset: 'utf8',
  // The libraries' development-only warnings are dropped, as in ECharts' own minified build.
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  banner: {
    js: `/* Apache ECharts ${version} and ZRender (Apache License 2.0, see node_modules/echarts/LICENSE), the parts Databricks Usage Copilot uses. */`,
  },
  write: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, code);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`${out}: ECharts ${version}, ${kib(code.length)} raw, ${kib(brotliCompressSync(code).length)} brotli`);
