// The pipeline and MVCC benchmarks compiled to wasm and run in headless Chromium, beside the same
// workloads run natively by `cargo bench` in the same run: prints both figures and the wasm/native ratio
// (issue 7's goal: wasm at most 2x slower). A measurement, not a test: it never fails on a figure.
//
//   node tests/browser/wasm-bench.mjs              build, run native and wasm, print the comparison
//   node tests/browser/wasm-bench.mjs --no-build   reuse target/wasm-bench (from an earlier run)
//   node tests/browser/wasm-bench.mjs --no-native  wasm figures only
//   ... --rounds=N                                 runs per side (default 3), alternating; best of each kept
//   ... pipeline | mvcc                            one benchmark only
//
// The workloads are crate etcdplay-bench (tests/wasm-bench): built for wasm32 with the `wasm-bench`
// profile (opt-level 3, thin LTO, like the `bench` profile the native figures use) and bound with the
// pinned wasm-bindgen CLI that `source scripts/env.sh` puts on PATH.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'target/wasm-bench');
const BENCHES = ['pipeline', 'mvcc'];

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const native = !args.includes('--no-native');
/** `--rounds=N`: how many times each side runs; the table shows each figure's best. */
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
const chosen = BENCHES.filter((b) => args.includes(b));
const benches = chosen.length ? chosen : BENCHES;

/** Runs a shell command from the repository root with the project's tools on PATH; returns its stdout. */
function sh(command, env = {}) {
  console.log(`$ ${command}`);
  const r = spawnSync('bash', ['-c', `source scripts/env.sh && ${command}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`\`${command}\` exited with ${r.status}`);
  return r.stdout;
}

/** Builds the workloads for wasm32 and binds them for a browser (an ES module and its .wasm). */
function buildWasm() {
  sh('cargo rustc -p etcdplay-bench --lib --target wasm32-unknown-unknown --profile wasm-bench --crate-type cdylib');
  sh(`wasm-bindgen --target web --no-typescript --out-dir ${OUT} target/wasm32-unknown-unknown/wasm-bench/etcdplay_bench.wasm`);
}

/** `figure` lines (name, value, unit, higher/lower) of a benchmark's output, by name. */
function parseFigures(text) {
  const figures = new Map();
  for (const line of text.split('\n')) {
    const [tag, name, value, unit, better] = line.split('\t');
    if (tag === 'figure') figures.set(name, { value: Number(value), unit, higherIsBetter: better === 'higher' });
  }
  return figures;
}

/** The human lines of a benchmark's output (everything but the figure lines). */
const summary = (text) => text.split('\n').filter((l) => l && !l.startsWith('figure\t'));

/** Builds the native benchmark once (what `cargo bench -p etcdplay-tests --bench etcdplay` runs), so that
 *  every round runs the same binary even if the tree changes meanwhile; returns its path. */
function buildNative() {
  const out = sh('cargo bench -p etcdplay-tests --bench etcdplay --no-run --message-format=json');
  const exe = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    .find((m) => m.reason === 'compiler-artifact' && m.target?.name === 'etcdplay' && m.executable)?.executable;
  if (!exe) throw new Error('cargo bench --no-run named no benchmark executable');
  return exe;
}

function runNative(exe) {
  return sh(`${exe} --bench ${benches.join(' ')}`, { ETCDPLAY_BENCH_FIGURES: '1' });
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>etcdplay wasm benchmarks</title>
<script type="module">
import init, { run } from './etcdplay_bench.js';
await init({ module_or_path: './etcdplay_bench_bg.wasm' });
window.runBench = run;
</script></head><body></body></html>`;

/** Serves the page above and the bound wasm from target/wasm-bench on 127.0.0.1. */
function serve() {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://localhost').pathname);
    const file = path.join(OUT, name);
    if (name === '' || name === 'index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (types[path.extname(name)] && fs.existsSync(file)) {
      res.writeHead(200, { 'content-type': types[path.extname(name)], 'cache-control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Opens the benchmark page in headless Chromium; `run(name)` runs one benchmark there (on the main
 *  thread) and returns what it printed; `close()` ends the browser and the server. */
async function openWasm() {
  const server = await serve();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcdplay-wasm-bench-'));
  const context = await launchChromium(userDataDir);
  const close = async () => {
    await context.close().catch(() => {});
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(0);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => typeof window.runBench === 'function', null, { timeout: 30_000 });
    const browser = /Chrome\/[\d.]+/.exec(await page.evaluate(() => navigator.userAgent))?.[0] ?? 'Chromium';
    const run = (name) => page.evaluate((n) => window.runBench(n), name);
    return { browser, run, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The best of several runs of each figure (the fastest: on a shared machine, noise only slows). */
function best(runs) {
  const out = new Map();
  for (const figures of runs) {
    for (const [name, f] of figures) {
      const prev = out.get(name);
      const better = !prev || (f.higherIsBetter ? f.value > prev.value : f.value < prev.value);
      if (better) out.set(name, f);
    }
  }
  return out;
}

/** How many times slower wasm is than native for one figure (above 1: slower). */
const slowdown = (n, w) => (n.higherIsBetter ? n.value / w.value : w.value / n.value);

const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));

async function main() {
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (build) buildWasm();
  const exe = native ? buildNative() : null;
  const wasm = await openWasm();
  const nativeRuns = [];
  const wasmRuns = [];
  try {
    // Rounds alternate native and wasm, so that a busy spell on the machine hits both alike.
    for (let round = 1; round <= rounds; round++) {
      if (native) {
        const out = runNative(exe);
        nativeRuns.push(parseFigures(out));
        console.log(`native round ${round}:`);
        for (const l of summary(out)) console.log(`  ${l}`);
      }
      console.log(`wasm round ${round} (headless ${wasm.browser}):`);
      let out = '';
      for (const name of benches) out += `${await wasm.run(name)}\n`;
      wasmRuns.push(parseFigures(out));
      for (const l of summary(out)) console.log(`  ${l}`);
    }
  } finally {
    await wasm.close();
  }
  const nativeFigures = best(nativeRuns);
  const wasmFigures = best(wasmRuns);
  if (wasmFigures.size === 0) throw new Error('the wasm build printed no figures');
  console.log(`\nbest of ${rounds} round(s) each:`);
  console.log('\n| figure | native | wasm | wasm/native | goal (<= 2x slower) |');
  console.log('|---|---|---|---|---|');
  for (const [name, w] of wasmFigures) {
    const n = nativeFigures.get(name);
    // Heap bytes are not speed: wasm32's 4-byte pointers make its structures smaller.
    const speed = w.unit !== 'bytes';
    const ratio = n ? slowdown(n, w) : null;
    const pace = (r) => (r >= 1 ? `${r.toFixed(2)}x slower` : `${(1 / r).toFixed(2)}x faster`);
    const ratioText = ratio === null ? '' : speed ? pace(ratio) : `${(w.value / n.value).toFixed(2)}x the bytes`;
    const goal = ratio === null || !speed ? '' : ratio <= 2 ? 'met' : '**not met**';
    console.log(`| ${name} | ${n ? `${fmt(n.value)} ${n.unit}` : ''} | ${fmt(w.value)} ${w.unit} | ${ratioText} | ${goal} |`);
  }
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  console.error(`wasm benchmarks FAILED: ${err.message}`);
  process.exit(1);
});
