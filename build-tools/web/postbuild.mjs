// After `trunk build`: writes version.json, a default config.json, the engine's worker
// script (worker.js: this build's wasm started in a dedicated worker), the service worker
// (build-tools/web/sw.js with this build's id and file list), and gzip + brotli copies of
// every file worth compressing, which copilot-proxy (and most static servers) serve as is.
// Usage: node build-tools/web/postbuild.mjs DIST BUILD_ID
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [dist, build] = process.argv.slice(2);
if (!dist || !build) throw new Error('usage: postbuild.mjs DIST BUILD_ID');
const here = path.dirname(fileURLToPath(import.meta.url));

function files(dir, prefix = '') {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}
const compressed = (f) => f.endsWith('.gz') || f.endsWith('.br');

writeFileSync(path.join(dist, 'version.json'), `${JSON.stringify({ build })}\n`);
if (!existsSync(path.join(dist, 'config.json'))) {
  const db = path.join(dist, 'data/usage_rag_data.db');
  const config = { proxy_url: '', data_url: 'data/usage_rag_data.db', data_bytes: existsSync(db) ? statSync(db).size : null, llm: true, docs: true, import: true };
  writeFileSync(path.join(dist, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
// The engine's worker runs this build's own wasm: find its hashed file names in index.html.
const index = readFileSync(path.join(dist, 'index.html'), 'utf8');
const js = index.match(/usage-copilot-[0-9a-f]+\.js/)?.[0];
const wasm = index.match(/usage-copilot-[0-9a-f]+_bg\.wasm/)?.[0];
if (!js || !wasm) throw new Error('postbuild: index.html names no usage-copilot JS/wasm');
const worker = readFileSync(path.join(here, 'worker.js'), 'utf8').replace('__JS__', js).replace('__WASM__', wasm);
writeFileSync(path.join(dist, 'worker.js'), worker);

// The shell: everything but the lazily fetched docs files and Parquet module, the bench's
// data and compressed copies.
const lazy = (f) => f.startsWith('docs/') || f.startsWith('parquet/') || f.startsWith('bench-data/');
const shell = ['./', ...files(dist).filter((f) => !compressed(f) && !lazy(f) && f !== 'sw.js')];
const sw = readFileSync(path.join(here, 'sw.js'), 'utf8')
  .replace("'__VERSION__'", JSON.stringify(build))
  .replace('__SHELL__', JSON.stringify(shell, null, 2));
writeFileSync(path.join(dist, 'sw.js'), sw);

let written = 0;
for (const f of files(dist).filter((f) => !compressed(f))) {
  const full = path.join(dist, f);
  const bytes = readFileSync(full);
  if (bytes.length < 1024) continue;
  // Brotli's best quality, but for big data files (quality 11 on them takes minutes); the
  // wasm, the largest file every visit downloads, always gets the best.
  const quality = bytes.length > 4e6 && !f.endsWith('.wasm') ? 9 : 11;
  writeFileSync(`${full}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(`${full}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
  written += 1;
}
console.error(`postbuild: build ${build}, ${shell.length} files in the offline shell, ${written} files pre-compressed (gzip, brotli)`);
