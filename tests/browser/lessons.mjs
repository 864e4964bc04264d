// Issue 5, "Lessons": a newcomer follows "Leader election" end to end by doing what each step asks (waiting
// for the first election, killing the leader on its card, waiting for the next one, restarting it), sees each
// step complete and the lesson end; then a deep link opens another lesson at step 2 with its setup applied,
// and Back returns to step 1.

import { waitFor, check, memberNames, parseMember, runUntil } from './lib.mjs';

function panel(page) {
  return page.getByRole('region', { name: 'Lessons', exact: true });
}

async function heading(page) {
  return (await panel(page).getByRole('heading', { level: 3 }).innerText()).trim();
}

async function statusText(page) {
  return (await panel(page).getByRole('status', { name: 'Lesson status', exact: true }).innerText()).trim();
}

function button(page, name) {
  return panel(page).getByRole('button', { name, exact: true });
}

/** Waits for the step's status to say it is done; returns the text. */
async function waitDone(page, what) {
  const text = await waitFor(`step "${what}" to be done`, async () => {
    const s = await statusText(page);
    return s.startsWith('Done:') && s;
  });
  check(`${what}: the status says "${text.slice(0, 70)}…"`);
  return text;
}

async function expectHeading(page, want) {
  await waitFor(`the heading "${want}"`, async () => (await heading(page)) === want, 5_000);
}

/** The address's lesson and step. */
function addressOf(page) {
  const u = new URL(page.url());
  return `${u.searchParams.get('lesson')}/${u.searchParams.get('step')}`;
}

async function expectAddress(page, want) {
  await waitFor(`the address to name ${want}`, async () => addressOf(page) === want, 2_000);
}

async function leaderOf(page) {
  return waitFor('a leader on the ring', async () =>
    (await memberNames(page)).map(parseMember).find((m) => m?.role === 'leader'));
}

async function expectDisabled(page, name, disabled) {
  const is = await button(page, name).isDisabled();
  if (is !== disabled) throw new Error(`"${name}" is ${is ? 'disabled' : 'enabled'}`);
}

async function leaderElection(page) {
  await button(page, 'Leader election').click();
  await expectHeading(page, 'Leader election: step 1 of 4');
  await expectAddress(page, 'leader-election/1');
  check('started "Leader election": step 1 of 4, address ?lesson=leader-election&step=1');

  await waitDone(page, 'step 1 (a leader is elected)');
  await expectDisabled(page, 'Next', false);
  await button(page, 'Next').click();

  await expectHeading(page, 'Leader election: step 2 of 4');
  await expectAddress(page, 'leader-election/2');
  const waiting = await statusText(page);
  if (!waiting.startsWith('Waiting for you to kill the leader')) throw new Error(`step 2 status: ${waiting}`);
  await expectDisabled(page, 'Next', true);
  check(`step 2 waits ("${waiting}") with Next disabled`);
  const leader = await leaderOf(page);
  await page.getByRole('button', { name: `Kill ${leader.name}`, exact: true }).click();
  check(`clicked "Kill ${leader.name}" on the leader's card`);
  await waitDone(page, 'step 2 (the leader is down)');
  await button(page, 'Next').click();

  await expectHeading(page, 'Leader election: step 3 of 4');
  await waitDone(page, 'step 3 (a new leader at a higher term)');
  const next = await leaderOf(page);
  if (next.name === leader.name || next.term <= leader.term) {
    throw new Error(`new leader ${JSON.stringify(next)} after ${JSON.stringify(leader)}`);
  }
  check(`the ring agrees: ${next.name} leads at term ${next.term} (was ${leader.name} at ${leader.term})`);
  await button(page, 'Next').click();

  await expectHeading(page, 'Leader election: step 4 of 4');
  await page.getByRole('button', { name: `Restart ${leader.name}`, exact: true }).click();
  check(`clicked "Restart ${leader.name}"`);
  await waitDone(page, 'step 4 (the old leader rejoined as a follower)');
  await panel(page).getByText('Lesson complete.', { exact: true }).waitFor({ timeout: 2_000 });
  await expectDisabled(page, 'Next', true);
  await button(page, 'Next lesson: Log replication and quorum').waitFor({ timeout: 2_000 });
  check('"Lesson complete." is shown, Next is disabled and the next lesson is offered');
}

async function deepLink(page, url) {
  const base = url.split('?')[0];
  await page.goto(`${base}?lesson=registry&step=2`);
  await expectHeading(page, 'The /registry data model: step 2 of 4');
  const text = await panel(page).locator('.lesson-text').innerText();
  if (!text.includes('get /registry/pods/default/web-1 -w json')) throw new Error(`step 2 text: ${text}`);
  check('the deep link ?lesson=registry&step=2 opened step 2 with its text');
  const status = await statusText(page);
  if (!status.startsWith('Waiting for you to run')) throw new Error(`step 2 status: ${status}`);
  await expectDisabled(page, 'Next', true);
  // Step 1's setup preloaded the pods: they are there to list.
  await runUntil(page, 'get /registry/pods --prefix --keys-only',
    (line) => line === '/registry/pods/kube-system/coredns-7db6d8ff4d-x2v9k');
  check('the setup of the earlier step is in place: the preloaded pods are listed');
  await button(page, 'Do it for me').click();
  await waitDone(page, 'registry step 2 (done for the visitor)');
  await button(page, 'Back').click();
  await expectHeading(page, 'The /registry data model: step 1 of 4');
  await expectAddress(page, 'registry/1');
  await expectDisabled(page, 'Back', true);
  check('Back went to step 1 (address ?lesson=registry&step=1), where Back is disabled');
}

export async function lessons(page, url) {
  await panel(page).waitFor({ timeout: 5_000 });
  await leaderElection(page);
  await deepLink(page, url);
}
