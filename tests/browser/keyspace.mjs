// Issue 5, "Views: Keyspace": the leader's MVCC store by folder. Nested /registry/ keys are reached by
// clicking folders; their revisions and versions match `etcdctl get -w json`; the revision slider shows an
// older value and a key deleted since; a key's history lists its puts and its tombstone; `compact N` moves
// the slider's lower end to N. Also the XSS check: a key and value that are markup show as literal text in
// the panel and the console, no <img> appears in the page's panels and no dialog opens.

import { waitFor, check, memberNames, parseMember, runCommand, runUntil, consoleLog, logLines, sleep } from './lib.mjs';

const XSS = '<img src=x onerror=alert(1)>';

/** The Keys table's rows as { key, value, create, mod, version, lease } (folders: value is the count). */
async function keyRows(panel) {
  return panel.getByRole('table', { name: 'Keys', exact: true }).locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const td = [...tr.querySelectorAll('td')].map((c) => c.textContent);
      const key = tr.querySelector('th button')?.textContent.replace(/^▸ /, '');
      return { key, value: td[0], create: td[1], mod: td[2], version: td[3], lease: td[4] };
    }));
}

/** Waits until the Keys table's row for `key` satisfies `ok`; returns the row. */
async function rowOf(panel, key, ok = () => true, what = `a row for ${key}`) {
  let last;
  return waitFor(what, async () => {
    last = await keyRows(panel);
    const row = last.find((r) => r.key === key);
    return row && ok(row) && row;
  }, 5_000).catch((e) => {
    throw new Error(`${e.message}; rows: ${JSON.stringify(last)}`);
  });
}

/** `etcdctl get KEY -w json` as parsed JSON. */
async function getJson(page, key) {
  return JSON.parse(await runUntil(page, `get ${key} -w json`, (l) => l.startsWith('{')));
}

async function openFolder(panel, label) {
  await panel.getByRole('button', { name: label, exact: true }).click();
  const crumbs = panel.getByRole('navigation', { name: 'Folder path', exact: true });
  await waitFor(`the folder path to end at ${label}`, async () =>
    (await crumbs.locator('[aria-current="location"]').textContent()) === label, 3_000);
}

async function navigate(panel) {
  for (const label of ['/registry/', 'pods/', 'default/']) await openFolder(panel, label);
  const path = await panel.getByRole('navigation', { name: 'Folder path', exact: true }).getByRole('button').allTextContents();
  if (JSON.stringify(path) !== JSON.stringify(['all keys', '/registry/', 'pods/', 'default/'])) {
    throw new Error(`the folder path reads ${JSON.stringify(path)}`);
  }
  check(`clicked /registry/ > pods/ > default/: the path reads ${path.join(' › ')}`);
}

async function slideTo(panel, rev) {
  await panel.getByRole('slider', { name: 'Revision', exact: true }).fill(String(rev));
  await waitFor(`the panel to show revision ${rev}`, async () =>
    (await panel.locator('output.ks-rev-value').textContent()) === String(rev), 3_000);
}

async function history(panel, key) {
  await panel.getByRole('button', { name: key.split('/').pop(), exact: true }).click();
  const region = panel.getByRole('region', { name: `History of ${key}`, exact: true });
  await region.waitFor({ timeout: 3_000 });
  return region.getByRole('table', { name: 'Key history', exact: true }).locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((c) => c.textContent).join(' | ')));
}

export async function keyspace(page) {
  const dialogs = [];
  const onDialog = (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  };
  page.on('dialog', onDialog);
  try {
    await keyspaceChecks(page, dialogs);
  } finally {
    page.off('dialog', onDialog);
  }
}

async function keyspaceChecks(page, dialogs) {
  const leader = await waitFor('a leader', async () => (await memberNames(page)).map(parseMember).find((m) => m?.role === 'leader'));
  const panel = page.getByRole('region', { name: 'Keyspace', exact: true });
  await panel.waitFor({ timeout: 5_000 });

  await runCommand(page, 'put /registry/pods/default/web-1 v1', ['OK']);
  await runCommand(page, 'put /registry/pods/default/web-2 w2', ['OK']);
  await runCommand(page, 'put /registry/services/api svc', ['OK']);
  await runCommand(page, 'put foo bar', ['OK']);
  await runCommand(page, 'put /registry/pods/default/web-1 v2', ['OK']);
  await runCommand(page, 'put /registry/pods/default/gone temporary', ['OK']);
  const gone = await getJson(page, '/registry/pods/default/gone');
  await runCommand(page, 'del /registry/pods/default/gone', ['1']);
  const web1 = await getJson(page, '/registry/pods/default/web-1');
  const kv = web1.kvs[0];

  // The top folder: the /registry/ folder with its 3 live keys (gone is deleted) and the key foo.
  const registry = await rowOf(panel, '/registry/', (r) => r.value === '3 keys', 'the /registry/ folder with 3 keys');
  await rowOf(panel, 'foo', (r) => r.value === 'bar');
  check(`the top folder lists /registry/ (${registry.value}) and foo = bar, on ${leader.name}'s store`);

  await navigate(panel);
  const row = await rowOf(panel, 'web-1', (r) => r.value === 'v2');
  const want = { create: String(kv.create_revision), mod: String(kv.mod_revision), version: String(kv.version), lease: 'none' };
  const got = { create: row.create, mod: row.mod, version: row.version, lease: row.lease };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`web-1 shows ${JSON.stringify(got)}, etcdctl get -w json says ${JSON.stringify(want)}`);
  }
  check(`web-1 = v2 with create ${row.create}, mod ${row.mod}, version ${row.version}, as etcdctl get -w json says`);
  if ((await keyRows(panel)).some((r) => r.key === 'gone')) throw new Error('the deleted key is listed at the latest revision');

  // Back in time: at the revision gone was written, it is there; before web-1's second put, web-1 is v1.
  const goneRev = gone.kvs[0].mod_revision;
  await slideTo(panel, goneRev);
  await rowOf(panel, 'gone', (r) => r.value === 'temporary' && r.create === String(goneRev), 'the deleted key at its revision');
  if (await panel.getByRole('checkbox', { name: 'Latest', exact: true }).isChecked()) throw new Error('"Latest" stayed checked');
  check(`slid to revision ${goneRev}: the deleted key "gone" reappears; "Latest" is unchecked`);
  await slideTo(panel, kv.mod_revision - 1);
  await rowOf(panel, 'web-1', (r) => r.value === 'v1' && r.version === '1' && r.mod === String(kv.create_revision), 'web-1 = v1');
  check(`slid to revision ${kv.mod_revision - 1}: web-1 = v1, version 1`);

  // A key's history: both puts, newest first; the deleted key's tombstone.
  const h = await history(panel, '/registry/pods/default/web-1');
  const wantH = [`${kv.mod_revision} | put | 2 | v2 | ${kv.create_revision} | none`, `${kv.create_revision} | put | 1 | v1 | ${kv.create_revision} | none`];
  if (JSON.stringify(h) !== JSON.stringify(wantH)) throw new Error(`web-1's history: ${JSON.stringify(h)}`);
  check(`web-1's history: ${h.join('; ')}`);
  await slideTo(panel, goneRev);
  const hg = await history(panel, '/registry/pods/default/gone');
  if (!(hg.length === 2 && hg[0].startsWith(`${goneRev + 1} | delete`) && hg[1].startsWith(`${goneRev} | put | 1 | temporary`))) {
    throw new Error(`gone's history: ${JSON.stringify(hg)}`);
  }
  check(`gone's history: ${hg.join('; ')}`);

  // Compaction moves the slider's lower end; older revisions are no longer offered.
  await panel.getByRole('checkbox', { name: 'Latest', exact: true }).check();
  const slider = panel.getByRole('slider', { name: 'Revision', exact: true });
  const minBefore = await slider.getAttribute('min');
  const at = kv.mod_revision;
  await runCommand(page, `compact ${at}`, [`compacted revision ${at}`]);
  await waitFor(`the slider's lower end to move to ${at}`, async () => (await slider.getAttribute('min')) === String(at), 5_000);
  const line = await panel.locator('.ks-bounds').textContent();
  if (!line.startsWith(`Compacted at revision ${at}`)) throw new Error(`the compaction line reads "${line}"`);
  await slideTo(panel, at);
  const after = await history(panel, '/registry/pods/default/web-1');
  if (after.length !== 1 || !after[0].startsWith(`${at} | put | 2`)) throw new Error(`web-1's history after compaction: ${JSON.stringify(after)}`);
  const note = await panel.getByRole('region', { name: 'History of /registry/pods/default/web-1' }).getByText(/compacted at revision/).textContent();
  check(`"compact ${at}": the slider's lower end moved from ${minBefore} to ${at}; "${line}"; web-1 keeps only revision ${at} ("${note}")`);

  // Markup in a key and value is text, everywhere.
  await panel.getByRole('checkbox', { name: 'Latest', exact: true }).check();
  await runCommand(page, `put '${XSS}' '${XSS}'`, ['OK']);
  await runCommand(page, `get '${XSS}'`, [XSS, XSS]);
  await panel.getByRole('button', { name: 'all keys', exact: true }).click();
  await rowOf(panel, XSS, (r) => r.value === XSS, 'the markup key as literal text');
  const echoed = (await logLines(page)).join('\n').includes(`$ etcdctl put '${XSS}' '${XSS}'`);
  if (!echoed) throw new Error('the console does not show the command as typed');
  await history(panel, XSS);
  await sleep(500);
  const imgs = await page.evaluate(() => document.querySelectorAll('main img, section img, body > img').length);
  if (imgs !== 0) throw new Error(`${imgs} <img> elements appeared in the page's panels`);
  if (dialogs.length) throw new Error(`dialogs opened: ${JSON.stringify(dialogs)}`);
  check(`"${XSS}" shows as literal text in the Keyspace table, its history and the console; no <img> in the panels; no dialog`);
}
