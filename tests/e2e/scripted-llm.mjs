// A scripted OpenAI-compatible chat-completions server for tests (the only test double the
// project allows: the real LLM is paid and out of reach). Real HTTP, real SSE. Tests queue
// scenarios; every request is recorded.
import http from 'node:http';

export const ANSWER_PIECES = [
  '**Why it fails**\n\n', 'It failed ', '27 times ', '[T2] ', 'between 2025-11-01 ', 'and 2025-12-11. ',
  'Inference: about ', '42% ', 'of its spend ', 'is wasted on retries.',
];

/** The 'docs' scenario: an answer that cites one documentation chunk. */
export const DOCS_ANSWER_PIECES = [
  'With fallback, ', 'lost spot workers ', 'are replaced by ', 'on-demand ones [D1]. ', 'Keep the driver on-demand.',
];

function chunk(text) {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the server; resolves to { url, requests, queue(...names), close() }. */
export async function startScriptedLlm({ delayMs = 120 } = {}) {
  const requests = [];
  const queued = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const part of req) body += part;
    const json = body ? JSON.parse(body) : {};
    requests.push({ path: req.url, headers: req.headers, body: json });
    const scenario = queued.shift() ?? 'stream';
    if (scenario === '429' || scenario === '500') {
      res.writeHead(Number(scenario), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: scenario === '429' ? 'slow down' : 'boom' } }));
      return;
    }
    if (!json.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'c1', object: 'chat.completion', created: 1, model: json.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: ANSWER_PIECES.join('') } }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const pieces = scenario === 'cut' ? ANSWER_PIECES.slice(0, 4) : scenario === 'docs' ? DOCS_ANSWER_PIECES : ANSWER_PIECES;
    const delay = scenario === 'slow' ? 800 : delayMs;
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(chunk(piece));
      await sleep(delay);
    }
    if (scenario === 'cut') { res.destroy(); return; }
    res.end('data: [DONE]\n\n');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    queue: (...names) => queued.push(...names),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
