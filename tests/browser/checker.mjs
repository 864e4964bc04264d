// The History check panel: the visitor's own requests pass the linearizability check; with the unsafe mode
// on, a read from an isolated old leader is stale and the panel names the offending operations.

import { check, memberNames, parseMember, runCommand, waitFor } from './lib.mjs';

async function leader(page, other) {
  return waitFor(`one leader${other ? ` other than ${other}` : ''}`, async () => {
    const leaders = (await memberNames(page)).map(parseMember).filter((m) => m?.role === 'leader');
    return leaders.length === 1 && leaders[0].name !== other && leaders[0];
  });
}

export async function historyCheck(page) {
  const panel = page.getByRole('region', { name: 'History check', exact: true });
  const verdict = panel.getByRole('status');
  const first = await leader(page);
  await runCommand(page, 'put k v1', ['OK']);
  await runCommand(page, 'get k', ['k', 'v1']);
  await waitFor('the verdict for 2 operations', async () =>
    (await verdict.innerText()) === 'history linearizable: yes (2 operations on 1 key)', 5_000);
  check('History check: "history linearizable: yes (2 operations on 1 key)"');

  await panel.getByRole('checkbox', { name: /Unsafe mode/ }).check();
  await panel.getByText('UNSAFE: an isolated or deposed leader').waitFor({ timeout: 2_000 });
  await page.getByRole('button', { name: `Isolate ${first.name}`, exact: true }).click();
  const next = await leader(page, first.name);
  await runCommand(page, `put k v2 --endpoints=${next.name}`, ['OK']);
  await runCommand(page, `get k --endpoints=${first.name}`, ['k', 'v1']);
  check(`unsafe mode: the isolated ${first.name} served the stale v1 after ${next.name} wrote v2`);
  const bad = await waitFor('the verdict to turn', async () => {
    const text = await verdict.innerText();
    return text.startsWith('history linearizable: NO, key k') && text;
  }, 5_000);
  const ops = await panel.getByRole('list', { name: 'Offending operations' }).getByRole('listitem').allInnerTexts();
  if (!ops.some((o) => o.includes('put k = v2')) || !ops.some((o) => o.includes(`${first.name}: get k returned v1`))) {
    throw new Error(`offending operations: ${JSON.stringify(ops)}`);
  }
  check(`"${bad}", offending: ${JSON.stringify(ops)}`);
}
