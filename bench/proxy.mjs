// make bench (proxy): time to first byte through copilot-proxy ÷ straight to the scripted
// upstream (same run, same machine), and 200 concurrent streams through the proxy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer } from '../tests/e2e/harness.mjs';
import { startScriptedLlm } from '../tests/e2e/scripted-llm.mjs';

const SAMPLES = Number(process.env.BENCH_PROXY_SAMPLES ?? 40);
const CONCURRENT = Number(process.env.BENCH_PROXY_CONCURRENT ?? 200);
const system = readFileSync(path.join(ROOT, 'build-tools/prompts/system/v1.md'), 'utf8').trimEnd();
const body = JSON.stringify({ model: 'x', stream: true, messages: [{ role: 'system', content: system }, { role: 'user', content: 'Summarise.' }] });

async function timed(url) {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const reader = response.body.getReader();
  let first = null;
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    first ??= performance.now() - started;
    text += decoder.decode(value, { stream: true });
  }
  return { status: response.status, ttfb: first ?? NaN, total: performance.now() - started, complete: text.includes('[DONE]') };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const median = (xs) => pct(xs, 50);

const llm = await startScriptedLlm({ delayMs: 15 });
const server = await startServer({
  LLM_BASE_URL: llm.url, LLM_API_KEY: 'bench-key', LLM_MODEL: 'scripted-model',
  PROXY_RATE_BURST: '100000', PROXY_RATE_PER_MINUTE: '1000000',
  // Every stream comes from this one address: lift the connection caps for the load test.
  PROXY_MAX_CONNECTIONS: '1000', PROXY_MAX_CONNECTIONS_PER_CLIENT: '1000',
});
try {
  const direct = []; const proxied = [];
  for (let i = 0; i < SAMPLES; i++) {
    direct.push((await timed(`${llm.url}/chat/completions`)).ttfb);
    proxied.push((await timed(`${server.url}/v1/chat/completions`)).ttfb);
  }
  const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => timed(`${server.url}/v1/chat/completions`).catch((e) => ({ error: String(e) }))));
  const ok = runs.filter((r) => r.status === 200 && r.complete);
  const errors = runs.length - ok.length;
  const totals = ok.map((r) => r.total);
  console.log(`\nProxy benchmark (scripted upstream streaming 10 pieces 15 ms apart; ${SAMPLES} sequential samples)`);
  console.log('measure                              value');
  console.log(`time to first byte, direct (median)   ${median(direct).toFixed(2)} ms`);
  console.log(`time to first byte, proxy (median)    ${median(proxied).toFixed(2)} ms`);
  console.log(`proxy ÷ direct                        ${(median(proxied) / median(direct)).toFixed(2)}x`);
  console.log(`${CONCURRENT} concurrent streams: errors       ${errors}`);
  console.log(`${CONCURRENT} concurrent streams: p50 / p99    ${median(totals).toFixed(0)} ms / ${pct(totals, 99).toFixed(0)} ms (whole answer)`);
} finally {
  server.stop();
  await llm.close();
}
