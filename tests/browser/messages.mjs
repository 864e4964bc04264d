// Issue 5, "Views: Cluster": the ring's Raft details. The cluster table lists every member; the election
// timers' arcs run with time; a message in flight can be clicked while paused, inspected and dropped (the
// Events feed says so); and killing the leader shows the votes of the election that follows.

import { fileURLToPath } from 'node:url';
import { waitFor, check, memberNames, parseMember, sleep } from './lib.mjs';

const DOT_NAME = /^Msg\w+ from etcd\d+ to etcd\d+, term \d+$/;
const TIMER_NAME = /^(election|heartbeat) timer (\d+) of (\d+) ms$/;
const VOTE_TEXT = /^(\d+ of \d+ (pre-)?votes|(pre-)?voted for etcd\d+)$/;

async function leaderOf(page) {
  return waitFor('a leader on the ring', async () => (await memberNames(page)).map(parseMember).find((m) => m?.role === 'leader'));
}

/** Every card's timer text, by member name. */
async function timers(page) {
  return page.evaluate(() => {
    const out = {};
    for (const card of document.querySelectorAll('.ring .node')) {
      const name = card.querySelector('.node-name')?.textContent;
      out[name] = card.querySelector('svg.node-timer')?.getAttribute('aria-label');
    }
    return out;
  });
}

async function clusterTable(page, members) {
  const table = page.getByRole('table', { name: 'Cluster state', exact: true });
  const headers = await table.locator('thead th').allTextContents();
  const want = ['member', 'role', 'term', 'vote', 'commit', 'applied', 'timer', 'disk', 'network'];
  if (JSON.stringify(headers) !== JSON.stringify(want)) throw new Error(`cluster table headers: ${headers}`);
  const rows = await table.locator('tbody tr').allInnerTexts().catch(() => []);
  const names = await table.locator('tbody th').allTextContents();
  const expected = members.map((m) => m.name);
  if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error(`cluster table lists ${names}, ring ${expected}`);
  const cells = await table.locator('tbody tr').first().locator('td').allTextContents();
  check(`the cluster table lists every member (${names.join(', ')}); ${names[0]}: ${cells.join(' | ')} (${rows.length} rows)`);
}

/** Clicking a member's name on the ring shows its Raft state in the Raft panel. */
async function raftStateOnClick(page, member) {
  await page.getByRole('button', { name: `Raft state of ${member}`, exact: true }).click();
  const state = await waitFor(`the Raft panel to show ${member}`, async () => {
    const s = await page.getByLabel('Raft state', { exact: true }).evaluate((dl) => {
      const out = {};
      for (const dt of dl.querySelectorAll('dt')) out[dt.textContent] = dt.nextElementSibling?.textContent;
      return out;
    }).catch(() => null);
    return s?.member === member && s;
  }, 3_000);
  check(`clicked "Raft state of ${member}": the Raft panel shows ${member}, ${state.role}, term ${state.term}, vote ${state.vote}, commit ${state.commit}`);
}

async function timersRun(page, leader) {
  const labels = Object.values(await timers(page));
  if (!labels.every((l) => TIMER_NAME.test(l ?? ''))) throw new Error(`timer texts: ${JSON.stringify(labels)}`);
  const leaderTimer = (await timers(page))[leader.name];
  if (!leaderTimer.startsWith('heartbeat timer')) throw new Error(`the leader's timer reads "${leaderTimer}"`);
  const follower = Object.keys(await timers(page)).find((n) => n !== leader.name);
  const first = (await timers(page))[follower];
  const changed = await waitFor(`${follower}'s election timer text to change`, async () => {
    const now = (await timers(page))[follower];
    return now !== first && now;
  }, 3_000);
  const images = await page.getByRole('img', { name: TIMER_NAME }).count();
  if (images !== labels.length) throw new Error(`${images} timer images for ${labels.length} members`);
  check(`timers run: ${follower} "${first}" then "${changed}"; ${leader.name} "${leaderTimer}"`);
}

async function inspectAndDrop(page) {
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  await bar.getByRole('button', { name: 'Pause', exact: true }).click();
  const dots = page.getByRole('button', { name: DOT_NAME });
  // Dots pass over the cards and are clickable anywhere: Step until one is in flight.
  const clickable = async () => {
    const i = await page.evaluate(() => [...document.querySelectorAll('.ring .msg-dot:not(.msg-trail)')].findIndex((b) => {
      const r = b.getBoundingClientRect();
      return r.width > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b;
    }));
    return i >= 0 ? page.locator('.ring .msg-dot:not(.msg-trail)').nth(i) : null;
  };
  let dot = null;
  for (let i = 0; i < 300 && !(dot = await clickable()); i++) {
    await bar.getByRole('button', { name: 'Step', exact: true }).click();
  }
  if (!dot) throw new Error('no message in flight after 300 Steps');
  const before = await dots.count();
  const name = await dot.getAttribute('aria-label');
  await dot.click();
  const inspector = page.getByRole('region', { name: 'Message inspector', exact: true });
  const fields = await inspector.getByLabel('Message fields', { exact: true }).evaluate((dl) => {
    const out = {};
    for (const dt of dl.querySelectorAll('dt')) out[dt.textContent] = dt.nextElementSibling?.textContent;
    return out;
  });
  const [, kind, from, to, term] = /^(\S+) from (\S+) to (\S+), term (\d+)$/.exec(name);
  const want = ['type', 'from', 'to', 'term', 'index', 'log term', 'entries', 'commit', 'reject', 'sent at', 'arrives at'];
  if (JSON.stringify(Object.keys(fields)) !== JSON.stringify(want)) throw new Error(`inspector fields ${Object.keys(fields)}`);
  if (fields.type !== kind || fields.from !== from || fields.to !== to || fields.term !== term) {
    throw new Error(`the inspector shows ${JSON.stringify(fields)} for "${name}"`);
  }
  await waitFor('focus to move to the inspector', async () =>
    page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Message inspector'), 2_000);
  await page.screenshot({ path: fileURLToPath(new URL('./artifacts/messages.png', import.meta.url)), fullPage: false });
  check(`clicked the dot "${name}": the inspector shows ${Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await inspector.getByRole('button', { name: 'Drop this message', exact: true }).click();
  await inspector.getByText('No longer in flight', { exact: false }).waitFor({ timeout: 2_000 });
  const after = await dots.count();
  if (after !== before - 1) throw new Error(`${before} dots before the drop, ${after} after`);
  const said = `the visitor dropped ${from}'s ${kind} to ${to}`;
  const events = page.getByRole('log', { name: 'Events', exact: true });
  await waitFor(`the Events feed to say "${said}"`, async () => (await events.innerText()).includes(said), 3_000);
  check(`dropped it: ${before} -> ${after} dots, the Events feed says "${said}"`);
  await inspector.getByRole('button', { name: 'Close', exact: true }).click();
}

async function votesDuringAnElection(page, leader) {
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  // Still paused: kill the leader and step event by event through the election that follows.
  await page.getByRole('button', { name: `Kill ${leader.name}`, exact: true }).click();
  const badges = page.locator('.ring .node-vote');
  const seen = new Set();
  let lastTimers = null;
  for (let i = 0; i < 400; i++) {
    for (const t of await badges.allTextContents()) seen.add(t);
    const members = (await memberNames(page)).map(parseMember);
    const elected = members.find((m) => m.role === 'leader' && m.name !== leader.name);
    if (elected && seen.size) break;
    if (!seen.size) lastTimers = await timers(page);
    await bar.getByRole('button', { name: 'Step', exact: true }).click();
  }
  const texts = [...seen];
  if (!texts.length) throw new Error('no vote was shown during the election');
  const bad = texts.filter((t) => !VOTE_TEXT.test(t));
  if (bad.length) throw new Error(`unexpected vote badges: ${bad}`);
  if (!texts.some((t) => /of \d+ (pre-)?votes/.test(t))) throw new Error(`no candidate's tally among ${texts}`);
  const full = Object.values(lastTimers ?? {}).map((l) => TIMER_NAME.exec(l ?? '')).filter(Boolean)
    .find((m) => Number(m[3]) - Number(m[2]) <= 100);
  if (!full) throw new Error(`no follower's timer was full before the election: ${JSON.stringify(lastTimers)}`);
  check(`killed ${leader.name}: "${full[0]}" just before the election; votes shown: ${texts.join('; ')}`);
  await bar.getByRole('button', { name: 'Play', exact: true }).click();
  await waitFor('the vote badges to go once the election is over', async () => (await badges.count()) === 0, 5_000);
  check('the vote badges went once the new leader was known');
}

/** Index of a slow-motion dot on screen (its centre not under a card), or -1. */
function trailDotInSight() {
  return [...document.querySelectorAll('.ring .msg-trail')].findIndex((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b;
  });
}

// At the default pace on the default LAN a message is in flight for 1-3 ms: the slow motion draws each one
// crossing its link, so replication is seen at once; a slow-motion dot opens the inspector like a true one,
// and the legend's checkbox turns the slow motion off.
async function slowMotion(page, loadedAt) {
  const seen = await waitFor('a slow-motion message dot in sight', async () => (await page.evaluate(trailDotInSight)) >= 0, 5_000);
  const after = Date.now() - loadedAt;
  if (after > 2_000) throw new Error(`the first message dot was in sight ${after} ms after the page loaded`);
  const trail = page.locator('.ring .msg-trail');
  // A moving dot is never "stable" for Playwright's click: the mouse goes where a dot is, as a visitor's
  // does, and tries again if the dot moved on first.
  const inspector = page.getByRole('region', { name: 'Message inspector', exact: true });
  let name = null;
  for (let attempt = 0; attempt < 20 && !name; attempt++) {
    const aim = await page.evaluate(() => {
      const b = [...document.querySelectorAll('.ring .msg-trail')].find((d) => {
        const r = d.getBoundingClientRect();
        return r.width > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === d;
      });
      const r = b?.getBoundingClientRect();
      return b && { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    });
    if (!aim) continue;
    await page.mouse.click(aim.x, aim.y);
    await sleep(100);
    if (await inspector.count()) name = await inspector.getByRole('heading').first().textContent();
  }
  if (!name) throw new Error('20 clicks on slow-motion dots opened no inspector');
  check(`${after} ms after loading, at 1x on the LAN, ${await trail.count()} slow-motion dots cross the ring (${seen && 'one in sight'})`);
  await inspector.getByText('No longer in flight', { exact: false }).waitFor({ timeout: 2_000 });
  check(`clicked a slow-motion dot with the mouse: the inspector shows "${name.trim()}", which has arrived`);
  await inspector.getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByRole('checkbox', { name: /^Slow motion/ }).uncheck();
  await waitFor('the slow-motion dots to go', async () => (await trail.count()) === 0, 2_000);
  await sleep(500);
  if (await trail.count()) throw new Error('slow-motion dots drawn with the slow motion off');
  await page.getByRole('checkbox', { name: /^Slow motion/ }).check();
  check('unchecking "Slow motion" leaves only the messages truly in flight; checked again');
}

export async function messages(page) {
  const loadedAt = Date.now();
  await slowMotion(page, loadedAt);
  const leader = await leaderOf(page);
  // Let the followers hear from the leader, so that every card shows its term and vote.
  await sleep(300);
  const members = (await memberNames(page)).map(parseMember);
  await clusterTable(page, members);
  await raftStateOnClick(page, members.find((m) => m.name !== leader.name).name);
  await timersRun(page, leader);
  await inspectAndDrop(page);
  await votesDuringAnElection(page, await leaderOf(page));
}
