// Shared helpers for the browser tests: start the real server on a free port, launch
// Debian's Chromium through playwright-core, run the native CLI for expected figures.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN_DIR = process.env.COPILOT_BIN_DIR ?? path.join(ROOT, 'target/release');
export const DIST = process.env.DIST_DIR ?? path.join(ROOT, 'dist');
export const SEEDED_DB = path.join(DIST, 'data/usage_rag_data.db');

/** Starts copilot-proxy on 127.0.0.1:<free port>; resolves to { url, stop }. */
export async function startServer(env = {}) {
  const child = spawn(path.join(BIN_DIR, 'copilot-proxy'), [], {
    // Tests never read a developer's .env: every setting comes from `env`.
    env: { ...process.env, PROXY_ENV_FILE: '/nonexistent', PROXY_ADDR: '127.0.0.1:0', DIST_DIR: DIST, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`copilot-proxy did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`copilot-proxy exited (${code}): ${stderr}`)); });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Launches headless Chromium with the flags this closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens a page that fails the test on any uncaught page error; `initScript` (a function)
 * runs in the page before its own scripts. */
export async function openPage(browser, url, errors = [], initScript = undefined) {
  const page = await browser.newPage();
  if (initScript) await page.addInitScript(initScript);
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  return page;
}

/** Runs the native `copilot` CLI and returns stdout. */
export function copilot(...args) {
  return execFileSync(path.join(BIN_DIR, 'copilot'), args, { encoding: 'utf8' });
}

/** A fresh temporary directory. */
export function tempDir() {
  return mkdtempSync(path.join(tmpdir(), 'copilot-e2e-'));
}

/** "$1,234.50" exactly as the app formats money. */
export function usd(amount) {
  const cents = Math.round(Math.abs(amount) * 100);
  const whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${amount < 0 && cents > 0 ? '-' : ''}$${whole}.${String(cents % 100).padStart(2, '0')}`;
}
