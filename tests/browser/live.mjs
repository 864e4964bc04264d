// The page, live: `etcdplay serve` serves the built page, and the page opened there shows the served
// cluster. The REAL etcdctl (Debian's 3.4) writes from a terminal and the page sees it; the page kills a
// member and the real etcdctl finds its port closed; a watch typed in the page's console sees a put made
// in the terminal; and the page's replayed world hashes as the served members do.
//
// Usage: node tests/browser/live.mjs path/to/etcdplay (after `trunk build --release --offline`).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, consoleLog, launchChromium, logLines, outputOf, sleep, waitFor } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, '../../dist');
const bin = path.resolve(process.argv[2] ?? path.join(HERE, '../../target/debug/etcdplay'));
const ETCDCTL = process.env.ETCDCTL ?? '/usr/bin/etcdctl';
const PAGE_PORT = 25780;
const members = [1, 2, 3].map((i) => ({ name: `live${i}`, client: `http://127.0.0.1:2577${i}`, peer: `http://127.0.0.1:2578${i}` }));
const ALL = members.map((m) => m.client).join(',');

/** The real etcdctl, as an operator types it. */
function etcdctl(...args) {
  const r = spawnSync(ETCDCTL, ['--dial-timeout=1s', '--command-timeout=3s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8',
  });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** Types a line into the page's console and waits for its output to satisfy `ok`. */
async function pageCommand(page, command, ok, what) {
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill(command);
  await input.press('Enter');
  return waitFor(what, async () => {
    const out = outputOf(await logLines(page), command);
    return out && ok(out) && out;
  }, 10_000).catch(async (e) => {
    throw new Error(`${e.message}; the console printed ${JSON.stringify(outputOf(await logLines(page), command))}`);
  });
}

async function cards(page) {
  const groups = page.getByRole('group', { name: /^live\d, [a-z-]+, term \d+$/ });
  return Promise.all((await groups.all()).map((g) => g.getAttribute('aria-label')));
}

const serve = spawn(bin, [
  'serve', '--seed', '3', '--page-port', String(PAGE_PORT), '--page-dir', DIST,
  '--initial-cluster', members.map((m) => `${m.name}=${m.peer}`).join(','),
  '--client-urls', members.map((m) => `${m.name}=${m.client}`).join(','),
  '--initial-cluster-token', 'live-test',
], { stdio: ['pipe', 'pipe', 'inherit'] });
let served = '';
serve.stdout.on('data', (d) => { served += d; });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcdplay-live-'));
let context;
const problems = [];
try {
  await waitFor('etcdplay serve to be ready', async () => served.includes('ready'), 20_000);
  context = await launchChromium(userDataDir);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  // 1. The served page follows the served cluster: its members, and the live bar instead of time controls.
  const loaded = Date.now();
  await page.goto(`http://127.0.0.1:${PAGE_PORT}/`);
  if (!page.url().endsWith('/?live')) throw new Error(`/ did not lead to the live page: ${page.url()}`);
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  await bar.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
  const leaderCard = await waitFor('the served members on the ring, one of them leader', async () => {
    const c = await cards(page);
    return c.length === 3 && c.find((l) => l.includes(', leader, '));
  });
  check(`the live page (${Date.now() - loaded} ms) shows the served members: ${JSON.stringify(await cards(page))}`);
  if (await bar.getByRole('button', { name: 'Step' }).count()) throw new Error('the live page offers Step');

  // 2. A put from the real etcdctl in a terminal is what the page's console reads.
  const put = etcdctl(`--endpoints=${ALL}`, 'put', 'greeting', 'from-a-terminal');
  if (put.code !== 0 || !put.out.includes('OK')) throw new Error(`real etcdctl put failed: ${put.out}`);
  await pageCommand(page, 'get greeting', (o) => o.join('|') === 'greeting|from-a-terminal', 'the page to read the terminal\'s put');
  check('real etcdctl put greeting from-a-terminal; the page\'s console reads it back');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole('navigation', { name: 'Panel tabs', exact: true }).getByRole('link', { name: 'Keyspace', exact: true }).click();
  await page.getByText('from-a-terminal', { exact: true }).first().waitFor({ timeout: 5_000 });
  await page.screenshot({ path: path.join(HERE, 'artifacts', 'live.png') });
  check('the Keyspace tab shows the key the terminal wrote (screenshot artifacts/live.png)');

  // 3. A watch typed in the page sees the next put from the terminal.
  await pageCommand(page, 'watch w', (o) => o.some((l) => l.includes('running')), 'the page\'s watch to start');
  etcdctl(`--endpoints=${ALL}`, 'put', 'w', 'seen-live');
  await waitFor('the page\'s watch to print the terminal\'s put', async () => {
    const out = outputOf(await logLines(page), 'watch w') ?? [];
    return out.join('|').includes('PUT|w|seen-live');
  });
  check('"watch w" in the page printed PUT w seen-live, put by the real etcdctl');
  await page.getByRole('textbox', { name: 'etcdctl', exact: true }).press('Control+c');

  // 4. The page and the served members agree on the keyspace's hash.
  const hashes = etcdctl(`--endpoints=${ALL}`, 'endpoint', 'hashkv');
  const theirs = hashes.out.trim().split('\n').map((l) => l.split(', ')[1]);
  const ours = await pageCommand(page, `endpoint hashkv --endpoints=${ALL}`, (o) => o.length === 3, 'the page\'s hashkv');
  const pageHashes = ours.map((l) => l.split(', ')[1]);
  if (hashes.code !== 0 || JSON.stringify(theirs) !== JSON.stringify(pageHashes)) {
    throw new Error(`hashes differ: served ${JSON.stringify(hashes.out)}, page ${JSON.stringify(ours)}`);
  }
  check(`the page's replayed world hashes as the served members do: ${pageHashes.join(', ')}`);

  // 5. Kill on the page kills the served member: its port refuses the real etcdctl.
  const victim = members.find((m) => !leaderCard.startsWith(`${m.name},`));
  await page.getByRole('button', { name: `Kill ${victim.name}`, exact: true }).click();
  await waitFor(`${victim.name} to be shown down`, async () => (await cards(page)).some((l) => l.startsWith(`${victim.name}, down,`)));
  const refused = await waitFor(`the real etcdctl to find ${victim.name} down`, async () => {
    const r = etcdctl(`--endpoints=${victim.client}`, 'endpoint', 'health');
    return r.code !== 0 && r;
  });
  check(`clicked "Kill ${victim.name}" on the page; the real etcdctl: ${refused.out.trim().split('\n').find((l) => l.includes('unhealthy')) ?? refused.out.trim()}`);
  const stillUp = etcdctl(`--endpoints=${ALL}`, 'put', 'after-kill', 'quorum-of-two');
  if (stillUp.code !== 0) throw new Error(`the two left did not take a put: ${stillUp.out}`);
  await pageCommand(page, 'get after-kill --print-value-only', (o) => o[0] === 'quorum-of-two', 'the page to see the put made by two members');
  check('the two members left commit a put from the terminal, and the page sees it');

  // 6. A fault from the serve process's own control input shows on the page too.
  serve.stdin.write(`@restart ${victim.name}\n`);
  await waitFor(`${victim.name} to come back on the page`, async () => (await cards(page)).some((l) => l.startsWith(`${victim.name}, follower,`)));
  check(`@restart ${victim.name} on serve's stdin: the page shows it following again`);

  if (problems.length) throw new Error(`the page reported problems:\n${problems.join('\n')}`);
  console.log('live: all checks passed');
} catch (e) {
  console.error(`live: FAILED: ${e.message}`);
  console.error(`serve said:\n${served}`);
  process.exitCode = 1;
} finally {
  await context?.close();
  serve.kill('SIGTERM');
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
