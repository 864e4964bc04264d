// The Watches and Leases panels: a granted lease with an attached key counts down with the simulated clock
// and goes away when revoked or when it expires (taking its key along); a running watch shows a watcher row
// on the member it was opened on, and Ctrl-C or the console's Stop button removes it.

import { waitFor, check, memberNames, parseMember, runUntil, runCommand } from './lib.mjs';

/** The accessible names of the rows of a panel's table (header row excluded), read in one go: the rows
 * follow the simulated clock, so a row found a moment ago may be gone. */
async function rowNames(region) {
  return region.locator('tr[aria-label]').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));
}

/** Types a console line and presses Enter, without waiting for output (a watch prints nothing at first). */
async function type(page, line) {
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill(line);
  await input.press('Enter');
}

async function leaseRow(leases, id, what) {
  const pattern = new RegExp(`^lease ${id}: (\\d+) of (\\d+) s left, (\\d+) keys?$`);
  return waitFor(what, async () => {
    for (const name of await rowNames(leases)) {
      const m = pattern.exec(name);
      if (m) return { name, remaining: Number(m[1]), ttl: Number(m[2]), keys: Number(m[3]) };
    }
    return null;
  }, 5_000);
}

async function grant(page, ttl) {
  const line = await runUntil(page, `lease grant ${ttl}`, (l) => /^lease [0-9a-f]{16} granted with TTL\(\d+s\)$/.test(l));
  return line.split(' ')[1];
}

export async function leasesAndWatches(page) {
  await waitFor('a leader', async () => (await memberNames(page)).map(parseMember).some((m) => m?.role === 'leader'));
  const leases = page.getByRole('region', { name: 'Leases', exact: true });
  const watches = page.getByRole('region', { name: 'Watches', exact: true });
  await leases.getByText('No leases.', { exact: false }).waitFor({ timeout: 5_000 });
  await watches.getByText('No watchers.', { exact: false }).waitFor({ timeout: 5_000 });
  check('the Leases and Watches panels start empty');

  // A lease with a key counts down as the simulated clock runs.
  const id = await grant(page, 30);
  await runCommand(page, `put k v --lease=${id}`, ['OK']);
  const first = await leaseRow(leases, id, `the row of lease ${id} with 1 key`);
  if (first.ttl !== 30 || first.keys !== 1 || first.remaining > 30) throw new Error(`unexpected row "${first.name}"`);
  const keys = await leases.locator(`tr[aria-label^="lease ${id}:"]`).getByRole('cell').last().innerText();
  if (keys.trim() !== 'k') throw new Error(`the keys cell reads "${keys}"`);
  check(`Leases shows "${first.name}" with key k`);
  const later = await waitFor('the remaining TTL to go down', async () => {
    const row = await leaseRow(leases, id, `lease ${id}`);
    return row.remaining <= first.remaining - 2 && row;
  }, 6_000);
  check(`the countdown ran with the clock: "${later.name}"`);
  await runCommand(page, `lease revoke ${id}`, [`lease ${id} revoked`]);
  await waitFor(`lease ${id} to leave the panel`, async () => !(await rowNames(leases)).some((n) => n.includes(id)), 5_000);
  check(`"lease revoke ${id}" removed its row`);

  // A watch opened on etcd2 shows there, counts its events, and Ctrl-C ends it.
  await type(page, '--endpoints=10.0.0.2:2379 watch foo');
  const fooRow = new RegExp('^watch 0 on etcd2: foo from revision (\\d+), synced, 0 events \\(stream (\\d+): --endpoints=10\\.0\\.0\\.2:2379 watch foo\\)$');
  const foo = await waitFor('a watcher on foo at etcd2', async () => (await rowNames(watches)).find((n) => fooRow.test(n)), 5_000);
  check(`Watches shows "${foo}"`);
  // The watch on etcd2 may print its PUT under the put's OK, or a moment later: only the OK is awaited.
  await runUntil(page, 'put foo bar', (l) => l === 'OK');
  await waitFor('the watcher to count one event', async () => (await rowNames(watches)).some((n) => /^watch 0 on etcd2: foo .*, synced, 1 event /.test(n)), 5_000);
  check('the watcher counted the put on foo');
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.focus();
  await input.press('Control+c');
  await waitFor('the foo watcher to go away after Ctrl-C', async () => !(await rowNames(watches)).some((n) => n.includes(': foo from')), 5_000);
  check('Ctrl-C at the prompt removed the foo watcher');

  // A prefix watch reads as a prefix; its Stop button ends it.
  await type(page, 'watch --prefix /a');
  const prefix = await waitFor('a prefix watcher', async () => (await rowNames(watches)).find((n) => /^watch 0 on etcd\d: \/a \(prefix\) from revision \d+, synced/.test(n)), 5_000);
  const cells = await watches.getByRole('row', { name: prefix }).getByRole('cell').allInnerTexts();
  if (cells[0].trim() !== '/a (prefix)') throw new Error(`the range cell reads ${JSON.stringify(cells)}`);
  check(`Watches shows "${prefix}"`);
  await page.getByRole('button', { name: 'Stop watch --prefix /a', exact: true }).click();
  await waitFor('the prefix watcher to go away after Stop', async () => (await rowNames(watches)).length === 0, 5_000);
  await watches.getByText('No watchers.', { exact: false }).waitFor({ timeout: 5_000 });
  check('the Stop button removed the prefix watcher');

  // A lease left alone expires: the leader revokes it and its key is deleted.
  const short = await grant(page, 3);
  await runCommand(page, `put k2 v2 --lease=${short}`, ['OK']);
  await leaseRow(leases, short, `the row of lease ${short}`);
  await waitFor(`lease ${short} to expire`, async () => !(await rowNames(leases)).some((n) => n.includes(short)), 8_000);
  await runCommand(page, 'get k2', []);
  check(`lease ${short} expired by itself: its row and its key k2 are gone`);
}
