// A scripted OpenAI-compatible chat-completions server for tests (the only test double the
// project allows: the real LLM is paid and out of reach). Real HTTP, real SSE — in the
// variants real servers send (no space after `data:`, CRLF, comments, usage-only chunks,
// reasoning_content, an error mid-stream, finish_reason "length", a first token that takes
// a minute). Tests queue scenarios by name or as objects; every request is recorded.
import http from 'node:http';

export const ANSWER_PIECES = [
  '**Why it fails**\n\n', 'It failed ', '27 times ', '[T2] ', 'between 2025-11-01 ', 'and 2025-12-11. ',
  'Inference: about ', '42% ', 'of its spend ', 'is wasted on retries.',
];

/** The 'docs' scenario: an answer that cites one documentation chunk. */
export const DOCS_ANSWER_PIECES = [
  'With fallback, ', 'lost spot workers ', 'are replaced by ', 'on-demand ones [D1]. ', 'Keep the driver on-demand.',
];

/** A right number, a wrong one, an unknown fact and a number cited to the wrong fact
 * (J-LEGACY-ETL, "Why is this failing?"): scored 1 grounded, 1 ungrounded, 1 unknown,
 * 1 unsupported, in the page and by `copilot ask` (tests/engine/checks.rs has the same). */
export const SCORED_ANSWER = 'It failed 27 times [T2]. It cost $999.99 in all [T1]. The dashboards agree [T42]. It ran 72 times [T8].';

/** Only "5" is not in the evidence; "2025…", "$135,626.77" and "5.00%" are. */
export const FIVE_ANSWER = 'On 2025-12-11 it failed again [T2]; it cost $135,626.77 [T1] with 5.00% on spot [T1], and 5 retries a day [T3].';

/** Answers by name, each sent a few words at a time. */
export const ANSWERS = {
  scored: SCORED_ANSWER,
  five: FIVE_ANSWER,
  'wrong-label': 'Legacy Customer Data ETL carries 62.50% of job spend [T1].',
  range: 'An industry average failure rate is 10-20% [T1]; this job fails far more often.',
  uncited: 'It failed 27 times and cost $135,626.77.',
  lines: 'Runs: 72 [T3]\nFailed: 27 [T2]\nSuccess rate: 62.50% [T1]',
};

const chunkJson = (text) => JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }] });
const chunk = (text) => `data: ${chunkJson(text)}\n\n`;
const words = (text) => text.split(/(?<= )/);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The SSE of `text` in one of the variants servers send. */
function variant(name, text) {
  const pieces = words(text);
  switch (name) {
    case 'nospace': return pieces.map((p) => `data:${chunkJson(p)}\n\n`).concat('data:[DONE]\n\n');
    case 'crlf': return pieces.map((p) => `data: ${chunkJson(p)}\r\n\r\n`).concat('data: [DONE]\r\n\r\n');
    case 'comments': return [': ping\n\n', 'event: message\nid: 1\n', ...pieces.map((p) => `${chunk(p)}: keep-alive\n\n`), 'data: [DONE]\n\n'];
    case 'usage': return [...pieces.map(chunk), `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 2100, completion_tokens: 9 } })}\n\n`, 'data: [DONE]\n\n'];
    case 'reasoning': return [`data: ${JSON.stringify({ choices: [{ delta: { reasoning_content: 'Let me read T2 first.' } }] })}\n\n`, ...pieces.map(chunk), 'data: [DONE]\n\n'];
    case 'error-mid': return [...pieces.map(chunk), `data: ${JSON.stringify({ error: { message: 'model overloaded' } })}\n\n`];
    case 'length': return [...pieces.map(chunk), `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}\n\n`, 'data: [DONE]\n\n'];
    default: return [...pieces.map(chunk), 'data: [DONE]\n\n'];
  }
}

/** Starts the server; resolves to { url, requests, queue(...scenarios), close() }. A
 * scenario is a name ('stream', 'cut', 'slow', 'docs', '429', '500', or a key of ANSWERS)
 * or { text, variant, firstTokenMs, delayMs }. */
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
    res.flushHeaders();
    if (typeof scenario === 'object' || ANSWERS[scenario]) {
      const s = typeof scenario === 'object' ? scenario : { text: ANSWERS[scenario] };
      if (s.firstTokenMs) {
        const until = Date.now() + s.firstTokenMs;
        while (Date.now() < until && !res.destroyed) await sleep(100);
      }
      for (const piece of variant(s.variant, s.text)) {
        if (res.destroyed) return;
        res.write(piece);
        await sleep(s.delayMs ?? 20);
      }
      res.end();
      return;
    }
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
