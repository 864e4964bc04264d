// Helpers shared by the browser suites: serving dist/, waiting, checks, and driving the page the way a user
// (or a screen reader) does, through accessible roles and names.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** How long to wait for an election: a few election timeouts of simulated (= real) time. */
export const ELECTION_TIMEOUT_MS = 10_000;

/** Polls `probe` until it returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = ELECTION_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function check(message) {
  console.log(`  ok  ${message}`);
}

/** Accessible names of every cluster member card, e.g. "etcd1, leader, term 3". */
export async function memberNames(page) {
  const groups = page.getByRole('group', { name: /^etcd\S*, [a-z-]+, term \d+$/ });
  const names = [];
  for (const g of await groups.all()) names.push(await g.getAttribute('aria-label'));
  return names;
}

export function parseMember(label) {
  const m = /^(\S+), ([a-z-]+), term (\d+)$/.exec(label ?? '');
  return m && { name: m[1], role: m[2], term: Number(m[3]) };
}

/** The console's output log (the page has a second log, the Events feed). */
export function consoleLog(page) {
  return page.getByRole('log', { name: 'etcdctl output', exact: true });
}

/** The console log's lines, as rendered text. Read line by line (`textContent`), not as the log's
 *  `innerText`: the log is drawn in chunks the browser skips while scrolled out of sight
 *  (`content-visibility: auto`), and `innerText` leaves a skipped chunk out. */
export async function logLines(page) {
  const lines = await consoleLog(page).locator('.line').allTextContents();
  return lines.flatMap((l) => l.split('\n')).map((l) => l.trimEnd());
}

/** Lines printed after the last echo of `command`, up to the next command echo. */
export function outputOf(lines, command) {
  const start = lines.lastIndexOf(`$ etcdctl ${command}`);
  if (start < 0) return null;
  const out = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('$ etcdctl ')) break;
    out.push(line);
  }
  return out;
}

/** Types a command into the console, presses Enter, and waits for its output to match `expected`. */
export async function runCommand(page, command, expected) {
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill(command);
  await input.press('Enter');
  const out = await waitFor(`output of "${command}" to be ${JSON.stringify(expected)}`, async () => {
    const o = outputOf(await logLines(page), command);
    return o && JSON.stringify(o) === JSON.stringify(expected) && o;
  }, 5_000).catch(async (e) => {
    const o = outputOf(await logLines(page), command);
    throw new Error(`${e.message}; got ${JSON.stringify(o)}`);
  });
  check(`"etcdctl ${command}" printed ${JSON.stringify(out)}`);
}

/** The simulated clock's text ("m:ss.mmm") in milliseconds. */
export async function clockMs(page) {
  const text = await page.getByRole('timer', { name: 'Simulated time', exact: true }).innerText();
  const m = /^(\d+):(\d\d)\.(\d{3})$/.exec(text.trim());
  if (!m) throw new Error(`the clock reads ${JSON.stringify(text)}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 1000 + Number(m[3]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Simulated milliseconds per real millisecond over about `realMs` of real time. */
export async function clockRate(page, realMs) {
  const [sim0, real0] = [await clockMs(page), Date.now()];
  await sleep(realMs);
  const [sim1, real1] = [await clockMs(page), Date.now()];
  return (sim1 - sim0) / (real1 - real0);
}

/** Runs a console command and waits for an output line that satisfies `wanted`; returns that line. */
export async function runUntil(page, command, wanted) {
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill(command);
  await input.press('Enter');
  const line = await waitFor(`"${command}" to print the expected line`, async () =>
    (outputOf(await logLines(page), command) ?? []).find(wanted), 5_000);
  check(`"etcdctl ${command}" printed "${line}"`);
  return line;
}


// Console errors a suite provokes on purpose (a CSP violation it injects), which e2e.mjs must not count as
// problems. Keyed by page; each entry is a pattern and how many errors it let through.
const allowedErrors = new WeakMap();

/** Lets console errors on `page` that match `pattern` through until the returned `stop()`; `count()` says how many came. */
export function allowConsoleErrors(page, pattern) {
  const entry = { pattern, count: 0 };
  allowedErrors.set(page, [...(allowedErrors.get(page) ?? []), entry]);
  return {
    count: () => entry.count,
    stop: () => allowedErrors.set(page, (allowedErrors.get(page) ?? []).filter((e) => e !== entry)),
  };
}

/** Whether a console error on `page` was provoked on purpose (see `allowConsoleErrors`). */
export function isAllowedConsoleError(page, text) {
  const entry = (allowedErrors.get(page) ?? []).find((e) => e.pattern.test(text));
  if (entry) entry.count += 1;
  return Boolean(entry);
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Serves dist/ read-only; never a file outside it. */
export function serve(root) {
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const rel = urlPath === '/' ? 'index.html' : urlPath.replace(/^\/+/, '');
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Debian's Chromium unless `CHROMIUM` names another. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium as this machine needs it: no sandbox (root), no GPU, and none of the background
 *  connections the closed network refuses. `extraArgs` adds flags (e.g. precise memory figures). */
export function launchChromium(userDataDir, extraArgs = []) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
