// The Kubernetes panel: loading 1,000 objects by clicking goes through Raft (the console counts the pods
// under /registry/pods), controller traffic starts the apiserver's watches and makes the revision rise, and
// turning it off stops them; a quota below the db size makes etcd refuse writes (NOSPACE). It also
// measures (prints, does not assert) how long 10,000 objects take to load in the page, how fast the
// simulated clock ran meanwhile, and the wasm memory; with ETCDPLAY_KUBE_100K=1 it does the same for
// 100,000.

import { waitFor, check, memberNames, parseMember, runUntil, clockMs } from './lib.mjs';

/** Pods in a load of `objects` objects, as core's `Shape` divides them: a node and its lease per 100,
 * a namespace per 500, 45% of the rest. */
function podsIn(objects) {
  const rest = objects - 2 * Math.max(1, Math.floor(objects / 100)) - Math.max(1, Math.floor(objects / 500));
  return Math.floor((rest * 45) / 100);
}

/** The revision in the header of a `-w json` answer. */
function revisionOf(line) {
  return Number(/"revision":(\d+)/.exec(line)[1]);
}

/** The wasm instance's memory, in MB (the loader's exports are kept by an init script). */
async function wasmMemoryMb(page) {
  const bytes = await page.evaluate(() => window.__etcdplayWasm?.memory?.buffer?.byteLength ?? 0);
  return Math.round(bytes / 1e6);
}

/** Loads `objects` objects by clicking and waits until the panel says they are loaded; prints the
 * real and simulated time it took, the clock's pace meanwhile and the wasm memory. */
async function load(page, panel, objects, timeoutMs) {
  const status = panel.getByRole('status');
  await panel.getByRole('combobox', { name: 'Objects to load' }).selectOption(String(objects));
  const [real0, sim0] = [Date.now(), await clockMs(page)];
  await panel.getByRole('button', { name: 'Load Kubernetes objects' }).click();
  const total = objects.toLocaleString('en-US');
  const done = new RegExp(`^loaded [\\d,]+ of ${total} objects`);
  const text = await waitFor(`${total} objects to load`, async () => {
    const t = await status.innerText();
    return done.test(t) && t;
  }, timeoutMs);
  const [real, sim] = [Date.now() - real0, (await clockMs(page)) - sim0];
  console.log(`  ..  ${total} objects: ${(real / 1000).toFixed(1)} s real, ${(sim / 1000).toFixed(1)} s simulated ` +
    `(clock at ${(sim / real).toFixed(2)}x), wasm memory ${await wasmMemoryMb(page)} MB: "${text}"`);
  return text;
}

export async function kubernetes(page) {
  const leader = () => waitFor('a leader', async () =>
    (await memberNames(page)).map(parseMember).some((m) => m?.role === 'leader'));
  // Reload once the first load is complete (an aborted wasm request would count as a page problem), with
  // an init script that keeps the wasm exports for measuring memory.
  await leader();
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__etcdplayWasm = e.detail.wasm; });
  });
  await page.reload();
  await leader();
  const panel = page.getByRole('region', { name: 'Kubernetes', exact: true });
  await panel.getByText('Nothing loaded yet.').waitFor({ timeout: 5_000 });

  const text = await load(page, panel, 1_000, 30_000);
  if (!/^loaded 1,000 of 1,000 objects/.test(text)) throw new Error(`the panel says "${text}"`);
  check(`Load Kubernetes objects created all 1,000: "${text}"`);
  const pods = podsIn(1_000);
  await runUntil(page, 'get /registry/pods --prefix --keys-only --limit=1 -w json', (l) => l.includes(`"count":${pods}`));
  check(`the console counts ${pods} pods under /registry/pods`);

  const before = revisionOf(await runUntil(page, 'get /registry/leases/kube-node-lease/node-0000 -w json',
    (l) => l.includes('"revision":')));
  await panel.getByRole('checkbox', { name: 'Controller traffic' }).check();
  const watches = page.getByRole('region', { name: 'Watches', exact: true });
  await waitFor('the apiserver watches in the Watches panel', async () =>
    (await watches.getByText('kube-apiserver', { exact: false }).count()) >= 5, 5_000);
  check('Controller traffic opened the apiserver\'s watches (the Watches panel lists them)');
  const traffic = panel.locator('.kubernetes-traffic');
  await waitFor('lease renewals', async () => /[1-9][\d,]* lease renewals/.test(await traffic.innerText()), 15_000);
  const after = revisionOf(await runUntil(page, 'get /registry/leases/kube-node-lease/node-0001 -w json',
    (l) => l.includes('"revision":')));
  if (after <= before) throw new Error(`the revision did not rise: ${before} -> ${after}`);
  check(`with traffic on the revision rose from ${before} to ${after}: "${await traffic.innerText()}"`);
  await panel.getByRole('checkbox', { name: 'Controller traffic' }).uncheck();
  await waitFor('the apiserver watches to stop', async () =>
    (await watches.getByText('kube-apiserver', { exact: false }).count()) === 0, 5_000);
  check('turning the traffic off stopped its watches');

  await load(page, panel, 10_000, 120_000);
  check('loaded 10,000 objects (timing printed above)');
  if (process.env.ETCDPLAY_KUBE_100K) {
    await load(page, panel, 100_000, 900_000);
    check('loaded 100,000 objects (timing printed above)');
  }

  // Past a small quota, etcd refuses the apiserver's writes: NOSPACE.
  await panel.getByRole('combobox', { name: 'Backend quota (--quota-backend-bytes)' }).selectOption({ label: '16 MiB' });
  await panel.getByRole('combobox', { name: 'Objects to load' }).selectOption('1000');
  await panel.getByRole('button', { name: 'Load Kubernetes objects' }).click();
  const refused = await waitFor('the load to fail on the quota', async () => {
    const t = await panel.getByRole('status').innerText();
    return /^loaded 0 of 1,000 objects/.test(t) && t.includes('database space exceeded') && t;
  }, 30_000);
  check(`with a 16 MiB quota the db is full: "${refused}"`);
  await runUntil(page, 'alarm list', (l) => l.includes('alarm:NOSPACE'));
}
