// End-to-end test of the built page (dist/) in headless Chromium.
//
// It serves dist/ from a tiny static server on 127.0.0.1, drives the page only through what a user (or a
// screen reader) sees, accessible roles and names, and fails on any console error, page error or failed
// request. Run it after `trunk build --release --offline`; scripts/test.sh does both.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ELECTION_TIMEOUT_MS, waitFor, check, memberNames, parseMember, consoleLog, logLines, outputOf, runCommand, clockMs, sleep, clockRate, runUntil,
  isAllowedConsoleError,
  serve,
  launchChromium,
} from './lib.mjs';
import { SUITES } from './suites.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, '../../dist');
const ARTIFACTS = path.join(HERE, 'artifacts');
/** Upper bound on the whole run, so a hung browser cannot hang CI. */
const TOTAL_TIMEOUT_MS = 600_000;


/** `ETCDPLAY_SUITES=lessons,keyspace` runs only those suites (by function name), without the walk-through. */
const ONLY = process.env.ETCDPLAY_SUITES?.split(',').filter(Boolean);

async function run(page, url) {
  if (ONLY) return runSuites(page, url, SUITES.filter((s) => ONLY.includes(s.name)));
  await page.goto(url);
  check(`loaded ${url}`);

  // 1. One leader is elected.
  const leader = await waitFor('exactly one leader', async () => {
    const leaders = (await memberNames(page)).map(parseMember).filter((m) => m?.role === 'leader');
    return leaders.length === 1 && leaders[0];
  });
  const all = await memberNames(page);
  if (all.length !== 3) throw new Error(`expected 3 member cards, found ${JSON.stringify(all)}`);
  check(`exactly one leader among ${all.length} members: "${leader.name}, leader, term ${leader.term}"`);

  // 1b. On a wide screen the panels under the ring and the console share the width, several to a row.
  const panels = await page.locator('.panel-grid > section').evaluateAll((els) =>
    els.map((e) => { const r = e.getBoundingClientRect(); return { id: e.getAttribute('aria-labelledby'), x: Math.round(r.x), y: Math.round(r.y) }; }));
  const firstRow = panels.filter((p) => p.y === panels[0]?.y);
  if (panels.length < 7 || firstRow.length < 2 || new Set(firstRow.map((p) => p.x)).size !== firstRow.length) {
    throw new Error(`the panels do not share the width: ${JSON.stringify(panels)}`);
  }
  const viewport = page.viewportSize();
  check(`${panels.length} panels in a grid at ${viewport.width}x${viewport.height}, ${firstRow.length} side by side in the first row`);

  // 2. Kill it; a different member wins a later term.
  await page.getByRole('button', { name: `Kill ${leader.name}`, exact: true }).click();
  check(`clicked "Kill ${leader.name}"`);
  await waitFor(`${leader.name} to be shown down`, async () =>
    (await memberNames(page)).some((l) => l.startsWith(`${leader.name}, down, `)));
  check(`${leader.name} is shown down`);
  const next = await waitFor('a new leader with a higher term', async () => {
    const leaders = (await memberNames(page)).map(parseMember).filter((m) => m?.role === 'leader');
    return leaders.length === 1 && leaders[0].name !== leader.name && leaders[0].term > leader.term && leaders[0];
  });
  check(`new leader "${next.name}, leader, term ${next.term}" (was ${leader.name} at term ${leader.term})`);

  // 3. The console writes and reads through the surviving majority.
  await runCommand(page, 'put foo bar', ['OK']);
  await runCommand(page, 'get foo', ['foo', 'bar']);
  await raftPanel(page, next);

  // 4. Keys and values are shown as text, never interpreted as HTML.
  await runCommand(page, 'put markup <i>not-html</i>', ['OK']);
  await runCommand(page, 'get markup', ['markup', '<i>not-html</i>']);
  const injected = await consoleLog(page).locator('i').count();
  if (injected !== 0) throw new Error(`a value was rendered as HTML (${injected} <i> elements in the log)`);
  check('values are rendered as text, not HTML');

  // 5. Arrow up recalls the previous command.
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.press('ArrowUp');
  const recalled = await input.inputValue();
  if (recalled !== 'get markup') throw new Error(`ArrowUp recalled ${JSON.stringify(recalled)}, expected "get markup"`);
  await input.press('ArrowDown');
  check('ArrowUp recalls the last command');

  // 6. A watch keeps running while the prompt takes more commands, and prints what they change.
  await input.fill('watch foo');
  await input.press('Enter');
  const stop = page.getByRole('button', { name: 'Stop watch foo', exact: true });
  await stop.waitFor();
  check('"watch foo" keeps running, with a "Stop watch foo" button');
  await runCommand(page, 'put foo streamed', ['OK', 'PUT', 'foo', 'streamed']);
  // The old leader is still down and the watch still runs here: the screenshot the README shows.
  await page.screenshot({ path: path.join(ARTIFACTS, 'leader-killed.png') });

  // 7. Ctrl-C at the prompt stops it, like a terminal's.
  await input.press('Control+c');
  await stop.waitFor({ state: 'detached', timeout: 5_000 });
  const afterInterrupt = outputOf(await logLines(page), 'put foo streamed');
  if (!afterInterrupt.includes('^C') || !afterInterrupt.includes('watch foo exited with status 130')) {
    throw new Error(`Ctrl-C did not show "^C" and the exit status: ${JSON.stringify(afterInterrupt)}`);
  }
  check('Ctrl-C stopped the watch: "^C", "watch foo exited with status 130", no Stop button');

  // 7b. A transaction typed as a here-document: `txn <<EOF`, its lines, then `EOF`.
  for (const l of ['txn <<EOF', 'value("foo") = "streamed"', '', 'put txnkey from-the-page', '', '', 'EOF']) {
    await input.fill(l);
    await input.press('Enter');
  }
  await waitFor('the txn to print SUCCESS', async () => {
    const out = outputOf(await logLines(page), 'txn <<EOF');
    return out && out.includes('SUCCESS') && out.includes('OK') && out;
  }, 5_000);
  check('a here-document txn ran: SUCCESS, OK');

  // 8. The old leader restarts and rejoins as a follower.
  await page.getByRole('button', { name: `Restart ${leader.name}`, exact: true }).click();
  check(`clicked "Restart ${leader.name}"`);
  const back = await waitFor(`${leader.name} to rejoin as a follower of term ${next.term} or later`, async () => {
    const m = (await memberNames(page)).map(parseMember).find((m) => m?.name === leader.name);
    return m?.role === 'follower' && m.term >= next.term && m;
  });
  check(`"${back.name}, follower, term ${back.term}": rejoined the new leader's term`);
  await page.getByRole('button', { name: `Kill ${leader.name}`, exact: true }).waitFor();
  check(`its button reads "Kill ${leader.name}" again`);

  // 8b. A wide table keeps one line per row (the log scrolls sideways), and its copy button copies it.
  await consoleKeepsLinesWhole(page, url);

  // 9. Tab completes a command; `help` prints etcdctl's help; Ctrl-L clears the log.
  await input.fill('member l');
  await input.press('Tab');
  if ((await input.inputValue()) !== 'member list ') {
    throw new Error(`Tab completed "member l" to ${JSON.stringify(await input.inputValue())}`);
  }
  check('Tab completes "member l" to "member list "');
  await input.fill('help');
  await input.press('Enter');
  await waitFor('the output of "help" to show etcdctl\'s usage', async () =>
    (outputOf(await logLines(page), 'help') ?? []).some((l) => l.startsWith('USAGE:')), 5_000);
  check('"help" prints etcdctl\'s usage');
  await input.press('Control+l');
  await waitFor('Ctrl-L to clear the log', async () => (await logLines(page)).join('').trim() === '', 5_000);
  check('Ctrl-L clears the console');

  // 10. A five-member cluster boots from the same seed and elects exactly one leader.
  await page.getByLabel('Cluster size', { exact: true }).selectOption('5');
  check('selected "Cluster size" 5');
  const leader5 = await waitFor('five members with exactly one leader', async () => {
    const members = (await memberNames(page)).map(parseMember);
    const leaders = members.filter((m) => m?.role === 'leader');
    return members.length === 5 && leaders.length === 1 && leaders[0];
  });
  check(`five members, one leader: "${leader5.name}, leader, term ${leader5.term}"`);

  // 11. The event feed narrates the election in simulated time.
  const events = page.getByRole('log', { name: 'Events', exact: true });
  const elected = await waitFor('the Events feed to mention "became leader"', async () => {
    const lines = (await events.innerText()).split('\n');
    return lines.find((l) => /^\d+:\d\d\.\d{3} \S+ became leader at term \d+$/.test(l.trim()));
  }, 5_000);
  check(`the Events feed says "${elected.trim()}"`);

  // 12. Isolate the leader: the others elect a new one at a higher term, CheckQuorum steps the cut-off one
  // down, it still serves serializable reads from its own store, and healing leaves exactly one leader.
  await runCommand(page, 'put foo before-the-partition', ['OK']);
  const leaders = async () => (await memberNames(page)).map(parseMember).filter((m) => m?.role === 'leader');
  const cutOff = await waitFor('exactly one leader before the partition', async () => {
    const l = await leaders();
    return l.length === 1 && l[0];
  });
  const heal = page.getByRole('button', { name: 'Heal network', exact: true });
  if (!(await heal.isDisabled())) throw new Error('"Heal network" is enabled before any partition');
  check('"Heal network" is disabled while every link is up');
  await page.getByRole('button', { name: `Isolate ${cutOff.name}`, exact: true }).click();
  const isolatedAt = Date.now();
  check(`clicked "Isolate ${cutOff.name}" (leader at term ${cutOff.term})`);
  const cutOffCard = page.getByRole('group', { name: new RegExp(`^${cutOff.name}, `) });
  await cutOffCard.getByText('isolated', { exact: true }).waitFor({ timeout: 5_000 });
  if (await heal.isDisabled()) throw new Error('"Heal network" stayed disabled after isolating a member');
  check(`${cutOff.name}'s card shows "isolated" and "Heal network" is enabled`);
  const successor = await waitFor(`a leader other than ${cutOff.name} with a term above ${cutOff.term}`, async () =>
    (await leaders()).find((m) => m.name !== cutOff.name && m.term > cutOff.term));
  check(`the others elected "${successor.name}, leader, term ${successor.term}"`);
  const alone = await waitFor(`${cutOff.name} to step down, leaving exactly one leader`, async () => {
    const l = await leaders();
    return l.length === 1 && l[0].name !== cutOff.name && l[0];
  }, 5_000);
  const stepDownMs = Date.now() - isolatedAt;
  const former = (await memberNames(page)).map(parseMember).find((m) => m?.name === cutOff.name);
  check(`within ${stepDownMs} ms of the isolation the only leader is ${alone.name}; ${cutOff.name} is a ${former.role}`);
  await runCommand(page, `get foo --endpoints=${cutOff.name} --consistency=s`, ['foo', 'before-the-partition']);
  check(`the isolated ${cutOff.name} answers a serializable read from its own store`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'partition.png') });
  await heal.click();
  check('clicked "Heal network"');
  const healed = await waitFor(`one leader, with ${cutOff.name} following at its term, and "Heal network" disabled`, async () => {
    const members = (await memberNames(page)).map(parseMember);
    const l = members.filter((m) => m?.role === 'leader');
    const back = members.find((m) => m?.name === cutOff.name);
    const ok = l.length === 1 && back?.role === 'follower' && back.term === l[0].term && (await heal.isDisabled());
    return ok && l[0];
  });
  if (await cutOffCard.getByText('isolated', { exact: true }).count()) {
    throw new Error(`${cutOff.name} still shows "isolated" after healing`);
  }
  check(`healed: exactly one leader "${healed.name}, leader, term ${healed.term}", ${cutOff.name} follows it, "Heal network" disabled`);

  await partitionByClicking(page, healed);
  await snapshotDownloadAndRestore(page);
  await sevenMembers(page);
  await memberControls(page);
  await timeControls(page);
  await sharedLink(page);
  await runSuites(page, url, SUITES);
}

/** Each suite starts from a fresh page, so one suite's world never leaks into the next. */
async function runSuites(page, url, suites) {
  for (const suite of suites) {
    console.log(`  -- ${suite.name}`);
    await page.goto(url);
    await suite(page, url);
  }
}

// 17. The Time bar: pause freezes the clock, Step runs the next event, the keys work outside the console,
// 10x runs ten times faster than 1x, and Back 1 s rewinds.
async function timeControls(page) {
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  await bar.getByText('Space play/pause').waitFor({ timeout: 5_000 });
  await bar.getByRole('button', { name: 'Pause', exact: true }).click();
  const paused = await clockMs(page);
  await sleep(500);
  if ((await clockMs(page)) !== paused) throw new Error('the clock moved while paused');
  check(`clicked "Pause": the clock stays at ${paused} ms over 500 ms of real time`);
  await bar.getByRole('button', { name: 'Step', exact: true }).click();
  const stepped = await clockMs(page);
  if (!(stepped > paused && stepped - paused <= 1_000)) throw new Error(`Step moved the clock from ${paused} to ${stepped} ms`);
  check(`clicked "Step": the clock moved by ${stepped - paused} ms, to the next event`);
  await page.locator('h1').click();
  await page.keyboard.press('.');
  const keyed = await clockMs(page);
  if (!(keyed > stepped)) throw new Error(`"." did not step: ${stepped} -> ${keyed} ms`);
  await page.keyboard.press('Space');
  await bar.getByRole('button', { name: 'Pause', exact: true }).waitFor({ timeout: 2_000 });
  await page.keyboard.press('Space');
  await bar.getByRole('button', { name: 'Play', exact: true }).waitFor({ timeout: 2_000 });
  check('"." stepped the clock; Space played and paused again');
  // Space played for a moment, so the paused clock is read again before typing.
  await sleep(100);
  const beforeTyping = await clockMs(page);
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill('');
  await input.pressSequentially('s. ');
  if ((await input.inputValue()) !== 's. ' || (await clockMs(page)) !== beforeTyping) throw new Error('keys typed into the console drove the clock');
  await input.fill('');
  check('"s", "." and Space typed into the console stay there');

  await bar.getByRole('button', { name: 'Play', exact: true }).click();
  const speed = page.getByLabel('Speed', { exact: true });
  const at1 = await clockRate(page, 1_000);
  await speed.selectOption('10x');
  const at10 = await clockRate(page, 1_000);
  await speed.selectOption('1x');
  if (!(at1 > 0.5 && at1 < 1.5 && at10 / at1 > 5 && at10 / at1 < 15)) throw new Error(`clock rates: 1x ${at1}, 10x ${at10}`);
  check(`the clock runs at ${at1.toFixed(2)}x real time at "1x" and ${at10.toFixed(2)}x at "10x"`);

  await bar.getByRole('button', { name: 'Pause', exact: true }).click();
  const before = await clockMs(page);
  await bar.getByRole('button', { name: 'Back 1 s', exact: true }).click();
  const back = await waitFor('the clock to go back by a second', async () => {
    const t = await clockMs(page);
    return t >= before - 1_000 && t < before && t;
  }, 5_000);
  await bar.getByRole('button', { name: 'Play', exact: true }).waitFor({ timeout: 2_000 });
  await waitFor('one leader after the rewind', async () => (await shownLeaders(page)).length === 1, 5_000);
  check(`clicked "Back 1 s": the clock went from ${before} to ${back} ms, paused, with one leader`);
  // The page took checkpoints while it ran, so the rewind replayed seconds from one, not the run from 0.
  const note = await waitFor('the console to say where the rewind replayed from', async () =>
    (await logLines(page)).findLast((l) => l.startsWith('Rewound to ')), 5_000);
  const from = /replayed from the checkpoint at ([0-9:.]+)/.exec(note);
  if (!from) throw new Error(`the rewind did not start from a checkpoint: ${note}`);
  check(`the rewind replayed from the checkpoint at ${from[1]}: "${note}"`);
  await bar.getByRole('button', { name: 'Play', exact: true }).click();
}

/** Sorted member card labels: names, roles and terms. */
/** `endpoint status -w table` prints rows wider than the console: each stays one line, and the command's
 * copy button puts exactly the printed lines on the clipboard. */
async function consoleKeepsLinesWhole(page, url) {
  const command = 'endpoint status --cluster -w table';
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill(command);
  await input.press('Enter');
  const out = await waitFor('the status table', async () => {
    const o = outputOf(await logLines(page), command);
    return o && o.length >= 5 && o[o.length - 1].startsWith('+') && o;
  }, 5_000);
  const rows = await consoleLog(page).locator('.line').evaluateAll((els) =>
    els.filter((e) => /^[|+]/.test(e.textContent)).map((e) => ({
      text: e.textContent,
      height: e.getBoundingClientRect().height,
      lineHeight: parseFloat(getComputedStyle(e).lineHeight),
    })));
  const wrapped = rows.filter((r) => r.height > r.lineHeight * 1.5);
  if (rows.length < 5 || wrapped.length) {
    throw new Error(`table rows wrapped: ${JSON.stringify(wrapped.length ? wrapped : rows)}`);
  }
  const widest = Math.max(...rows.map((r) => r.text.length));
  check(`"${command}": ${rows.length} table lines of up to ${widest} characters, each on one line`);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const copy = page.getByRole('button', { name: `Copy the output of $ etcdctl ${command}`, exact: true }).last();
  await copy.click();
  await waitFor('the copy button to say copied', async () => (await copy.getAttribute('class'))?.includes('copied'), 5_000);
  const clipboard = await page.evaluate(() => navigator.clipboard.readText());
  const printed = out.map((l) => `${l}\n`).join('');
  if (clipboard.replace(/[ \t]+\n/g, '\n') !== printed) {
    throw new Error(`the clipboard holds ${JSON.stringify(clipboard)}, the console printed ${JSON.stringify(printed)}`);
  }
  check(`its copy button copied the ${out.length} lines it printed`);
}

async function memberState(page) {
  return (await memberNames(page)).sort();
}

// 18. A link to the run replays it: put a key, kill a follower, copy the link, open it in a new page: the
// same members are down, the same leader leads at the same term, and the key is there. A damaged link
// says so and starts a fresh cluster.
async function sharedLink(page) {
  const leader = await waitFor('one leader', async () => (await shownLeaders(page)).length === 1 && (await shownLeaders(page))[0]);
  await runCommand(page, 'put shared-key shared-value', ['OK']);
  const follower = (await memberNames(page)).map(parseMember).find((m) => m?.role === 'follower');
  await page.getByRole('button', { name: `Kill ${follower.name}`, exact: true }).click();
  await waitFor(`${follower.name} to be shown down`, async () =>
    (await memberNames(page)).some((l) => l.startsWith(`${follower.name}, down, `)));
  await sleep(300);
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  await bar.getByRole('button', { name: 'Pause', exact: true }).click();
  await bar.getByRole('button', { name: 'Copy link', exact: true }).click();
  const link = await waitFor('the link field to fill in', async () =>
    page.getByRole('textbox', { name: 'Link to this run', exact: true }).inputValue(), 2_000);
  const state = await memberState(page);
  const clock = await clockMs(page);
  check(`put shared-key, killed ${follower.name} (leader ${leader.name}), paused at ${clock} ms and copied a ${link.length}-character link`);

  const other = await page.context().newPage();
  try {
    await other.goto(link);
    await other.getByText('Replayed a shared run').waitFor({ timeout: 10_000 });
    const replayed = await memberState(other);
    if (JSON.stringify(replayed) !== JSON.stringify(state)) {
      throw new Error(`the link shows ${JSON.stringify(replayed)}, the run showed ${JSON.stringify(state)}`);
    }
    if ((await clockMs(other)) !== clock) throw new Error(`the link opened at ${await clockMs(other)} ms, not ${clock}`);
    await other.getByRole('region', { name: 'Time', exact: true }).getByRole('button', { name: 'Play', exact: true }).waitFor();
    check(`the link opens paused at ${clock} ms with the same cards: ${replayed.join('; ')}`);
    await runCommand(other, 'get shared-key', ['shared-key', 'shared-value']);

    await other.goto(`${link.split('?')[0]}?seed=3&members=3&t=10&run=not-a-run!`);
    await other.getByText(/This link is damaged \(.+\); a fresh cluster started instead\./).waitFor({ timeout: 10_000 });
    await waitFor('a leader in the fresh cluster', async () => (await shownLeaders(other)).length === 1);
    check('a damaged link says "This link is damaged (...); a fresh cluster started instead." and a fresh cluster elects a leader');
  } finally {
    await other.close();
  }
  await page.getByRole('region', { name: 'Time', exact: true }).getByRole('button', { name: 'Play', exact: true }).click();
}

/** The network bar's status line, e.g. "all links up" or "split etcd1, etcd2 | etcd3, etcd4, etcd5". */
async function networkStatus(page) {
  return (await page.locator('.network').getByRole('status').innerText()).trim();
}

// 13. A 2|3 split built by clicking: the old leader and one follower on side B. The minority keeps no
// leader (CheckQuorum steps the old one down), the majority elects one at a higher term, and healing
// leaves exactly one leader of all five.
async function partitionByClicking(page, leader) {
  const members = (await memberNames(page)).map(parseMember);
  const minority = [leader.name, members.find((m) => m.name !== leader.name).name];
  const majority = members.map((m) => m.name).filter((n) => !minority.includes(n));
  const toggle = page.getByRole('button', { name: 'Partition…', exact: true });
  await toggle.click();
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') throw new Error('"Partition…" did not open the editor');
  for (const name of minority) {
    await page.getByLabel(`Network side of ${name}`, { exact: true }).selectOption({ label: 'B' });
  }
  check(`opened "Partition…" and put ${minority.join(' and ')} on side B`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'partition-editor.png') });
  await page.getByRole('button', { name: 'Apply partition', exact: true }).click();
  const sorted = (names) => [...names].sort().join(', ');
  const status = await waitFor('the network bar to show a 2|3 split', async () => {
    const s = await networkStatus(page);
    return s.startsWith('split ') && s.split(' | ').length === 2 && s;
  }, 5_000);
  const sides = status.slice('split '.length).split(' | ').map((g) => sorted(g.split(', ')));
  if (!sides.includes(sorted(minority)) || !sides.includes(sorted(majority))) {
    throw new Error(`network status ${JSON.stringify(status)} does not have ${minority.join(', ')} on one side`);
  }
  const cutLinks = await page.locator('.cut-link').count();
  if (cutLinks !== minority.length * majority.length) {
    throw new Error(`${cutLinks} cut links drawn, expected ${minority.length * majority.length}`);
  }
  check(`applied: the network bar says "${status}" and ${cutLinks} links are drawn cut`);
  const elected = await waitFor(`the majority (${majority.join(', ')}) to elect a leader above term ${leader.term}, the minority none`, async () => {
    const now = (await memberNames(page)).map(parseMember);
    const leaders = now.filter((m) => m.role === 'leader');
    const ok = leaders.length === 1 && majority.includes(leaders[0].name) && leaders[0].term > leader.term;
    return ok && leaders[0];
  });
  const minorityRoles = (await memberNames(page)).map(parseMember).filter((m) => minority.includes(m.name));
  check(`majority leader "${elected.name}, leader, term ${elected.term}"; minority: ${minorityRoles.map((m) => `${m.name} ${m.role}`).join(', ')}`);
  const badge = page.getByRole('group', { name: new RegExp(`^${minority[0]}, `) }).getByText(/^side [A-Z]$/);
  await badge.waitFor({ timeout: 5_000 });
  check(`${minority[0]}'s card shows "${await badge.innerText()}"`);
  await runCommand(page, `get foo --endpoints=${majority[0]}`, ['foo', 'before-the-partition']);
  await page.screenshot({ path: path.join(ARTIFACTS, 'partition-split.png') });

  // 1|1|3 straight from 2|3: the new majority takes in a member of the old minority, so the page heals
  // before cutting again (the core only ever adds cuts), and that member may now follow a leader.
  const [alone1, alone2] = [minority[0], majority[0]];
  const rest = members.map((m) => m.name).filter((n) => n !== alone1 && n !== alone2);
  await toggle.click();
  const sideOf = (name) => (name === alone1 ? 'B' : name === alone2 ? 'C' : 'A');
  for (const name of members.map((m) => m.name)) {
    await page.getByLabel(`Network side of ${name}`, { exact: true }).selectOption({ label: sideOf(name) });
  }
  await page.getByRole('button', { name: 'Apply partition', exact: true }).click();
  const isolatedStatus = `${[alone1, alone2].sort().join(' and ')} isolated from the other members`;
  await waitFor(`the network bar to say "${isolatedStatus}"`, async () => (await networkStatus(page)) === isolatedStatus, 5_000);
  const cut113 = await page.locator('.cut-link').count();
  if (cut113 !== 2 * rest.length + 1) throw new Error(`${cut113} cut links drawn for 1|1|3, expected ${2 * rest.length + 1}`);
  const leader113 = await waitFor(`a leader among ${rest.join(', ')} followed by all three`, async () => {
    const now = (await memberNames(page)).map(parseMember);
    const leaders = now.filter((m) => m.role === 'leader');
    const followers = now.filter((m) => rest.includes(m.name) && m.role === 'follower');
    return leaders.length === 1 && rest.includes(leaders[0].name) && followers.length === rest.length - 1 && leaders[0];
  });
  for (const name of [alone1, alone2]) {
    await page.getByRole('group', { name: new RegExp(`^${name}, `) }).getByText('isolated', { exact: true }).waitFor();
  }
  check(`1|1|3: "${isolatedStatus}", ${cut113} cut links, "${leader113.name}, leader, term ${leader113.term}" leads ${rest.join(', ')}`);
  await page.getByRole('button', { name: 'Heal network', exact: true }).click();
  const healed = await waitFor('one leader of five and "all links up" after healing', async () => {
    const l = (await memberNames(page)).map(parseMember).filter((m) => m.role === 'leader');
    return l.length === 1 && (await networkStatus(page)) === 'all links up' && l[0];
  });
  check(`healed: "all links up", exactly one leader "${healed.name}, leader, term ${healed.term}"`);
}

// 14. Disaster recovery through the Files panel: save a snapshot, download it, write more, upload the
// download under a new name, restore it into a data dir and start the restored member: the new
// one-member cluster has the key written before the snapshot and not the one written after.
async function snapshotDownloadAndRestore(page) {
  await runCommand(page, 'put snapkey before-snapshot', ['OK']);
  await runCommand(page, 'snapshot save backup.db --endpoints=etcd1', ['Snapshot saved at backup.db']);
  const download = page.getByRole('button', { name: 'Download backup.db', exact: true });
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 5_000 }), download.click()]);
  const saved = path.join(ARTIFACTS, 'backup.db');
  await file.saveAs(saved);
  const bytes = fs.readFileSync(saved);
  if (!bytes.subarray(0, 17).equals(Buffer.from('ETCDPLAY SNAPSHOT'))) {
    throw new Error(`the download does not start with "ETCDPLAY SNAPSHOT": ${JSON.stringify(bytes.subarray(0, 24).toString())}`);
  }
  check(`clicked "Download backup.db": ${file.suggestedFilename()}, ${bytes.length} bytes starting "ETCDPLAY SNAPSHOT"`);
  await runCommand(page, 'put lostkey after-snapshot', ['OK']);
  await page.getByLabel('Upload snapshot', { exact: true }).setInputFiles({
    name: 'uploaded.db',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await page.getByRole('button', { name: 'Download uploaded.db', exact: true }).waitFor({ timeout: 5_000 });
  check('uploaded it as "uploaded.db": the Files panel lists it');
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill('snapshot status uploaded.db');
  await input.press('Enter');
  const status = await waitFor('"snapshot status uploaded.db" to print hash, revision, keys, size', async () => {
    const out = outputOf(await logLines(page), 'snapshot status uploaded.db');
    return out?.length === 1 && /^[0-9a-f]+, \d+, \d+, .+$/.test(out[0]) && out[0];
  }, 5_000);
  check(`"etcdctl snapshot status uploaded.db" printed "${status}"`);
  const restore = 'snapshot restore uploaded.db --name etcd1 --initial-cluster etcd1=http://10.0.0.1:2380 ' +
    '--initial-cluster-token restored --initial-advertise-peer-urls http://10.0.0.1:2380 --data-dir etcd1.etcd';
  await runCommand(page, restore, []);
  const start = page.getByRole('button', { name: 'Start etcd1 from etcd1.etcd', exact: true });
  await start.click();
  check('clicked "Start etcd1 from etcd1.etcd"');
  const only = await waitFor('the restored one-member cluster to elect etcd1', async () => {
    const members = (await memberNames(page)).map(parseMember);
    return members.length === 1 && members[0].name === 'etcd1' && members[0].role === 'leader' && members[0];
  });
  check(`the page shows the restored cluster: one member, "${only.name}, leader, term ${only.term}"`);
  if (!(await start.isDisabled())) throw new Error('"Start etcd1 from etcd1.etcd" is still enabled once etcd1 runs');
  const size = await page.getByLabel('Cluster size', { exact: true }).evaluate((s) => s.selectedOptions[0]?.text);
  if (size !== '1 member') throw new Error(`"Cluster size" shows ${JSON.stringify(size)} for the restored cluster`);
  check('"Start etcd1 from etcd1.etcd" is disabled and "Cluster size" shows "1 member"');
  await runCommand(page, 'get snapkey', ['snapkey', 'before-snapshot']);
  await runCommand(page, 'get lostkey', []);
  await page.screenshot({ path: path.join(ARTIFACTS, 'restored.png') });
}

// 15. Seven members fit on the ring and elect one leader.
async function sevenMembers(page) {
  await page.getByLabel('Cluster size', { exact: true }).selectOption('7');
  const leader = await waitFor('seven members with exactly one leader', async () => {
    const members = (await memberNames(page)).map(parseMember);
    const leaders = members.filter((m) => m?.role === 'leader');
    return members.length === 7 && leaders.length === 1 && leaders[0];
  });
  const boxes = [];
  for (const g of await page.getByRole('group', { name: /^etcd\S*, [a-z-]+, term \d+$/ }).all()) boxes.push(await g.boundingBox());
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      if (!apart) throw new Error(`member cards ${i + 1} and ${j + 1} overlap: ${JSON.stringify([a, b])}`);
    }
  }
  check(`seven members, one leader "${leader.name}, leader, term ${leader.term}", no two cards overlap`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'seven.png') });
}

/** The leaders the cards show (a paused leader still shows its frozen role). */
async function shownLeaders(page) {
  return (await memberNames(page)).map(parseMember).filter((m) => m?.role === 'leader');
}

/** The settings panel's quorum line, e.g. "quorum 2 of 3 voters". */
async function quorumText(page) {
  return (await page.locator('.quorum').innerText()).trim();
}

// 16. Per-member and cluster-wide controls on a fresh three-member cluster: the quorum, pausing the
// leader, a wan network, slow disks in the fsync chart, and a wiped member removed, added and started.
async function memberControls(page) {
  await page.getByLabel('Cluster size', { exact: true }).selectOption('3');
  const leader = await waitFor('three members with exactly one leader', async () => {
    const members = (await memberNames(page)).map(parseMember);
    const leaders = members.filter((m) => m?.role === 'leader');
    return members.length === 3 && leaders.length === 1 && leaders[0];
  });
  await waitFor('the quorum to read "quorum 2 of 3 voters"', async () => (await quorumText(page)) === 'quorum 2 of 3 voters', 5_000);
  check(`three members, leader ${leader.name}; the settings panel says "quorum 2 of 3 voters"`);
  await pauseTheLeader(page, leader);
  await wanNetwork(page);
  await slowDisks(page);
  await wipeAFollower(page);
  await eventsFollowTheNewest(page);
}

/** The Events feed, longer than its box by now, shows its newest line. */
async function eventsFollowTheNewest(page) {
  const events = page.getByRole('log', { name: 'Events', exact: true });
  const gap = await waitFor('the Events feed to be scrolled to its newest line', async () => {
    const g = await events.evaluate((e) => ({ overflow: e.scrollHeight > e.clientHeight, gap: e.scrollHeight - e.scrollTop - e.clientHeight }));
    return g.overflow && g.gap <= 2 && g;
  }, 5_000);
  check(`the Events feed overflows its box and is scrolled to the newest line (${gap.gap}px from the bottom)`);
}

/** Pausing the leader lets the others elect one; resumed, the old leader follows. */
async function pauseTheLeader(page, leader) {
  await page.getByRole('button', { name: `Pause ${leader.name}`, exact: true }).click();
  const card = page.getByRole('group', { name: new RegExp(`^${leader.name}, `) });
  await card.getByText('paused', { exact: true }).waitFor({ timeout: 5_000 });
  check(`clicked "Pause ${leader.name}": its card shows "paused"`);
  const next = await waitFor(`a leader other than the paused ${leader.name}`, async () =>
    (await shownLeaders(page)).find((m) => m.name !== leader.name && m.term > leader.term));
  check(`the others elected "${next.name}, leader, term ${next.term}"`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'paused-leader.png') });
  await page.getByRole('button', { name: `Resume ${leader.name}`, exact: true }).click();
  const back = await waitFor(`${leader.name} to follow after resuming`, async () => {
    const m = (await memberNames(page)).map(parseMember).find((m) => m?.name === leader.name);
    return m?.role === 'follower' && (await shownLeaders(page)).length === 1 && m;
  });
  if (await card.getByText('paused', { exact: true }).count()) throw new Error(`${leader.name} still shows "paused"`);
  check(`clicked "Resume ${leader.name}": "${back.name}, follower, term ${back.term}"`);
}

/** The wan profile adds tens of milliseconds per hop: `endpoint health`'s quorum read shows it. */
async function wanNetwork(page) {
  await page.getByLabel('Network', { exact: true }).selectOption('wan');
  const input = page.getByRole('textbox', { name: 'etcdctl', exact: true });
  await input.fill('endpoint health');
  await input.press('Enter');
  const took = await waitFor('"endpoint health" to report how long it took', async () => {
    const out = outputOf(await logLines(page), 'endpoint health') ?? [];
    const times = out.map((l) => /took = ([\d.]+)(ms|s)$/.exec(l)).filter(Boolean);
    return times.length > 0 && times.map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : 1));
  }, 10_000);
  if (!took.every((ms) => ms >= 60)) throw new Error(`on wan, "endpoint health" took ${JSON.stringify(took)} ms`);
  check(`selected "Network" wan: "endpoint health" took ${took.join(', ')} ms (>= 60)`);
  await page.getByLabel('Network', { exact: true }).selectOption('lan');
}

/** Every member on a 300 ms disk: a few puts push the WAL fsync p99 over etcd's 20 ms "bad" line. */
async function slowDisks(page) {
  const names = (await memberNames(page)).map((l) => parseMember(l).name);
  for (const name of names) {
    await page.getByLabel(`Disk of ${name}`, { exact: true }).selectOption({ label: 'Slow (300 ms fsync)' });
  }
  check(`set the disks of ${names.join(', ')} to "Slow (300 ms fsync)"`);
  for (const i of [1, 2, 3]) await runCommand(page, `put slow${i} v`, ['OK']);
  const fsync = page.getByRole('figure', { name: 'WAL fsync duration p99', exact: true });
  const bad = await waitFor('the fsync chart to report a p99 above 20 ms (bad)', async () => {
    const text = await fsync.locator('.chart-values').innerText();
    const m = /(\S+) ([\d.]+) ms \(bad\)/.exec(text);
    return m && Number(m[2]) > 20 && m[0];
  }, 5_000);
  check(`the WAL fsync chart's text reads "${bad}"`);
  await page.getByRole('region', { name: 'Metrics' }).screenshot({ path: path.join(ARTIFACTS, 'metrics.png') });
  for (const name of names) await page.getByLabel(`Disk of ${name}`, { exact: true }).selectOption({ label: 'NVMe' });
}

/** A wiped follower cannot restart (etcd would panic); removed, added again and started, it rejoins. */
async function wipeAFollower(page) {
  const follower = await waitFor('a follower', async () =>
    (await memberNames(page)).map(parseMember).find((m) => m?.role === 'follower'));
  await page.getByRole('button', { name: `Wipe data dir of ${follower.name}`, exact: true }).click();
  await page.getByRole('button', { name: `Restart ${follower.name}`, exact: true }).click();
  const alert = page.locator('.cluster-notice');
  const message = await waitFor('the refusal to restart the wiped member', async () => {
    const t = (await alert.innerText()).trim();
    return /cannot restart/.test(t) && /Remove it/.test(t) && t;
  }, 5_000);
  check(`wiped ${follower.name}; "Restart ${follower.name}" shows "${message.slice(0, 60)}..."`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'wiped.png') });
  const id = /member remove ([0-9a-f]+)/.exec(message)[1];
  await runUntil(page, `member remove ${id}`, (l) => l.startsWith(`Member ${id} removed from cluster `));
  await waitFor('the quorum to read "quorum 2 of 2 voters"', async () => (await quorumText(page)) === 'quorum 2 of 2 voters', 5_000);
  const n = follower.name.replace(/^etcd/, '');
  const add = `member add ${follower.name} --peer-urls=http://10.0.0.${n}:2380`;
  await runUntil(page, add, (l) => l.startsWith('Member ') && l.includes(' added to cluster '));
  await page.getByRole('button', { name: `Start ${follower.name}`, exact: true }).click();
  const rejoined = await waitFor(`${follower.name} to rejoin as a follower at the leader's term`, async () => {
    const members = (await memberNames(page)).map(parseMember);
    const m = members.find((m) => m?.name === follower.name);
    const lead = members.find((m) => m?.role === 'leader');
    return m?.role === 'follower' && m.term === lead?.term && (await quorumText(page)) === 'quorum 2 of 3 voters' && m;
  });
  check(`member remove, member add, "Start ${follower.name}": "${rejoined.name}, follower, term ${rejoined.term}", quorum 2 of 3 again`);
}

/** The Raft panel's state list as { term: value }. */
async function raftState(page) {
  return page.getByLabel('Raft state', { exact: true }).evaluate((dl) => {
    const out = {};
    for (const dt of dl.querySelectorAll('dt')) out[dt.textContent] = dt.nextElementSibling?.textContent;
    return out;
  });
}

/** The Raft panel follows the leader, lists its peers' progress and its log; messages in flight are counted. */
async function raftPanel(page, leader) {
  const members = (await memberNames(page)).length;
  const state = await waitFor('the Raft panel to show the leader', async () => {
    const s = await raftState(page).catch(() => null);
    return s?.member === leader.name && s.role === 'leader' && s;
  }, 5_000);
  const rows = await page.getByRole('table', { name: 'Replication progress' }).locator('tbody tr').count();
  if (rows !== members) throw new Error(`expected ${members} progress rows, found ${rows}`);
  check(`Raft panel of ${leader.name}: role ${state.role}, term ${state.term}, commit ${state.commit}, ${rows} progress rows`);
  await runCommand(page, 'put raftkey raftvalue', ['OK']);
  const entry = await waitFor('a committed normal entry in the leader\'s log', async () => {
    const texts = await page.getByRole('list', { name: `Log of ${leader.name}` }).getByRole('listitem').allTextContents();
    return texts.map((t) => /index \d+, term \d+, normal, committed/.exec(t)?.[0]).find(Boolean);
  }, 5_000);
  check(`the leader's log shows "${entry}"`);
  // On a LAN a message is in flight 1-3 ms of every heartbeat's 100: watch every frame while the clock
  // runs; if no frame happened to catch one, pause and Step event by event, which must.
  const inFlight = () => {
    const text = document.querySelector('[aria-label="Messages in flight"]')?.textContent ?? '';
    return Number(/^(\d+) messages? in flight/.exec(text)?.[1] ?? 0) >= 1 && text;
  };
  let summary = await page.waitForFunction(inFlight, null, { polling: 'raf', timeout: 4_000 })
    .then((h) => h.jsonValue(), () => null);
  let how = 'while running';
  if (!summary) {
    const bar = page.getByRole('region', { name: 'Time', exact: true });
    await bar.getByRole('button', { name: 'Pause', exact: true }).click();
    for (let i = 0; i < 100 && !summary; i++) {
      await bar.getByRole('button', { name: 'Step', exact: true }).click();
      summary = await page.evaluate(inFlight);
    }
    how = 'stepping';
    if (!summary) throw new Error('no message in flight after 100 Steps');
  }
  const dots = await page.locator('.ring .msg-dot').count();
  check(`in flight (${how}): "${summary.slice(0, 80)}", ${dots} dot(s) drawn`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'raft-panel.png'), fullPage: true });
  if (how === 'stepping') {
    await page.getByRole('region', { name: 'Time', exact: true }).getByRole('button', { name: 'Play', exact: true }).click();
  }
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: run \`trunk build --release --offline\` first`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const server = await serve(DIST);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcdplay-chromium-'));
  const problems = [];
  let context;
  try {
    context = await launchChromium(userDataDir);
    // Every page, including the one the shared link opens, reports its problems.
    const watch = (page) => {
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !isAllowedConsoleError(page, msg.text())) problems.push(`console error: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
      page.on('response', (res) => {
        if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
      });
    };
    const first = context.pages()[0];
    if (first) watch(first);
    context.on('page', watch);
    const page = first ?? (await context.newPage());

    let completed = false;
    try {
      await run(page, url);
      completed = true;
    } finally {
      const passed = completed && problems.length === 0;
      const shot = path.join(ARTIFACTS, passed ? 'skeleton.png' : 'failure.png');
      await page.screenshot({ path: shot }).catch(() => {});
      console.log(`  screenshot: ${path.relative(process.cwd(), shot)}`);
    }
    if (problems.length) throw new Error(`the page reported problems:\n    ${problems.join('\n    ')}`);
    check('no console errors, page errors or failed requests');
  } finally {
    await context?.close().catch(() => {});
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

const timer = setTimeout(() => {
  console.error(`browser test FAILED: no result after ${TOTAL_TIMEOUT_MS} ms`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

console.log('browser test (headless Chromium):');
main().then(
  () => {
    clearTimeout(timer);
    console.log('browser test passed');
  },
  (err) => {
    clearTimeout(timer);
    console.error(`browser test FAILED: ${err.message}`);
    process.exit(1);
  },
);
