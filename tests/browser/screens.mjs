// Screenshots at desktop and phone widths, and the checks that make a width usable: no sideways scrolling
// on a phone, the ring and console on screen, every other panel reachable through the Panels drawer (by
// touch and by keyboard, Escape closing it), and at both widths every visible control named (Chromium's
// own accessibility tree) and reached by Tab.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, memberNames, parseMember, runCommand, waitFor } from './lib.mjs';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Roles of controls: what a user operates, so what must have a name. */
const CONTROL_ROLES = new Set([
  'button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'switch', 'slider',
  'spinbutton', 'menuitem', 'tab', 'option',
]);

/** Controls in Chromium's accessibility tree with no accessible name, as their HTML. */
async function unnamedControls(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const unnamed = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value) && !n.name?.value?.trim());
    const html = [];
    for (const n of unnamed) {
      const { outerHTML } = await cdp.send('DOM.getOuterHTML', { backendNodeId: n.backendDOMNodeId }).catch(() => ({ outerHTML: '?' }));
      html.push(`${n.role.value}: ${outerHTML.slice(0, 160)}`);
    }
    const named = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value)).length;
    return { named: named - unnamed.length, unnamed: html };
  } finally {
    await cdp.detach();
  }
}

/**
 * Presses Tab from the top of the page until focus comes back around, and returns the visible, enabled
 * controls it never reached (each as its HTML) and how many it did. The clock is paused meanwhile, so
 * that no control is re-rendered between two presses.
 */
async function tabWalk(page) {
  const total = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('button, input, select, textarea, a[href], summary')]
      .filter((el) => el.checkVisibility({ visibilityProperty: true }) && !el.disabled && el.closest('[inert]') === null);
    controls.forEach((el, i) => { el.dataset.tabProbe = String(i); });
    // Start at the first control in document order; Tab goes on from there and wraps around.
    controls[0]?.focus();
    return controls.length;
  });
  const reached = new Set(['0']);
  for (let presses = 0; presses < total + 20; presses++) {
    await page.keyboard.press('Tab');
    const probe = await page.evaluate(() => document.activeElement?.dataset?.tabProbe ?? null);
    if (probe !== null && reached.has(probe)) break;
    if (probe !== null) reached.add(probe);
  }
  const missed = await page.evaluate((reachedList) => {
    const got = new Set(reachedList);
    const out = [];
    for (const el of document.querySelectorAll('[data-tab-probe]')) {
      if (!got.has(el.dataset.tabProbe)) out.push(el.outerHTML.slice(0, 160));
      delete el.dataset.tabProbe;
    }
    return out;
  }, [...reached]);
  return { total, reached: reached.size, missed };
}

/** Names and Tab reachability of every visible control, with the clock paused. */
async function checkControls(page, width) {
  const bar = page.getByRole('region', { name: 'Time', exact: true });
  await bar.getByRole('button', { name: 'Pause', exact: true }).click();
  try {
    const names = await unnamedControls(page);
    if (names.unnamed.length) throw new Error(`${width}: controls without an accessible name:\n    ${names.unnamed.join('\n    ')}`);
    const walk = await tabWalk(page);
    if (walk.missed.length) throw new Error(`${width}: Tab never reached:\n    ${walk.missed.join('\n    ')}`);
    if (walk.total < 10) throw new Error(`${width}: only ${walk.total} controls found; is the page there?`);
    check(`${width}: all ${names.named} controls have an accessible name; Tab reaches all ${walk.total} visible enabled controls`);
  } finally {
    await bar.getByRole('button', { name: 'Play', exact: true }).click();
  }
}

/** The page scrolls sideways by at most a pixel. */
async function noSidewaysScroll(page, where) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth + 1) throw new Error(`${where}: the page is ${scrollWidth}px wide in a ${innerWidth}px window`);
  return `${scrollWidth} <= ${innerWidth}`;
}

/** Taps `locator` with a touch (Chromium's touch emulation; the shared context was made without hasTouch). */
async function tap(page, cdp, locator) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  if (!box) throw new Error('nothing to tap');
  const touch = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [touch] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** A region lies within the window's width and is displayed. */
async function onScreen(locator, what, width) {
  const box = await locator.boundingBox();
  if (!box || box.width === 0 || box.x < -1 || box.x + box.width > width + 1) {
    throw new Error(`${what} is not on screen: ${JSON.stringify(box)}`);
  }
}

/** Seven members on a phone: every card on screen, none over another, no sideways scrolling. */
async function sevenOnPhone(page) {
  await page.getByRole('combobox', { name: /cluster size/i }).selectOption({ label: '7 members' });
  const cards = await waitFor('seven member cards', async () => {
    const boxes = await page.locator('section.ring > .node').evaluateAll((nodes) =>
      nodes.map((n) => n.getBoundingClientRect()).map((r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom })));
    return boxes.length === 7 && boxes;
  }, 5_000);
  const overlaps = [];
  cards.forEach((a, i) => cards.slice(i + 1).forEach((b, j) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps.push(`${i + 1} and ${i + j + 2}`);
  }));
  if (overlaps.length) throw new Error(`on a phone, seven member cards overlap: ${overlaps.join(', ')}`);
  const off = cards.filter((c) => c.left < 0 || c.right > PHONE.width);
  if (off.length) throw new Error(`on a phone, ${off.length} of 7 member cards leave the screen`);
  const scroll = await noSidewaysScroll(page, 'phone, seven members');
  await page.locator('section.ring').screenshot({ path: path.join(ARTIFACTS, 'phone-seven.png') });
  check(`phone, 7 members: all cards on screen, none overlapping, width ${scroll}; artifacts/phone-seven.png`);
}

/** An address naming a panel (`#raft-title`, as a phone user shares it) opens with that panel shown. */
async function linkedPanel(page, url) {
  await page.goto('about:blank');
  await page.goto(`${url}#raft-title`);
  const raft = page.locator('section:has(> h2#raft-title)');
  await raft.waitFor({ state: 'visible', timeout: 5_000 });
  await onScreen(raft, 'the linked Raft panel', PHONE.width);
  if (await page.getByRole('region', { name: 'Events', exact: true }).isVisible()) throw new Error('a linked panel showed others too');
  check('opening the page at #raft-title on a phone shows the Raft panel (and not the others)');
}

async function phone(page, url) {
  await page.setViewportSize(PHONE);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  try {
    const ring = page.getByRole('region', { name: 'cluster', exact: true });
    const prompt = page.getByRole('textbox', { name: 'etcdctl', exact: true });
    await onScreen(ring, 'the cluster ring', PHONE.width);
    await onScreen(prompt, 'the console prompt', PHONE.width);
    const events = page.getByRole('region', { name: 'Events', exact: true });
    if (await events.isVisible()) throw new Error('on a phone the Events panel shows before the drawer chose it');
    const scroll = await noSidewaysScroll(page, 'phone');
    await runCommand(page, 'put phone fits', ['OK']);
    await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone.png'), fullPage: true });
    check(`phone ${PHONE.width}x${PHONE.height}: ring and console on screen, Events hidden, width ${scroll}; artifacts/phone.png`);

    // Tap "Panels": the drawer opens and lists every titled panel on the page.
    const toggle = page.getByRole('button', { name: 'Panels', exact: true });
    await tap(page, cdp, toggle);
    await waitFor('the drawer to open', async () => (await toggle.getAttribute('aria-expanded')) === 'true', 2_000);
    const drawer = page.getByRole('navigation', { name: 'Panels', exact: true });
    const links = await drawer.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const panels = await page.locator('section > h2.panel-title[id]').evaluateAll((hs) =>
      hs.map((h) => ({ id: h.id, title: h.textContent.trim() })));
    const titles = panels.map((p) => p.title);
    const missing = panels.filter((p) => !links.includes(`#${p.id}`)).map((p) => p.title);
    if (missing.length || titles.length < 5) throw new Error(`the drawer lists ${JSON.stringify(links)}; panels ${JSON.stringify(titles)}`);
    await noSidewaysScroll(page, 'phone, drawer open');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-drawer.png') });
    check(`tapping "Panels" opened the drawer (aria-expanded=true) listing all ${titles.length} panels: ${titles.join(', ')}`);

    // Tap "Events": the drawer closes and the panel shows, on screen, with the focus in it.
    await tap(page, cdp, drawer.getByRole('link', { name: 'Events', exact: true }));
    await events.waitFor({ state: 'visible', timeout: 2_000 });
    if ((await toggle.getAttribute('aria-expanded')) !== 'false') throw new Error('the drawer stayed open after a choice');
    await onScreen(events, 'the Events panel', PHONE.width);
    const focused = await page.evaluate(() => document.activeElement?.id);
    if (focused !== 'events-title') throw new Error(`after choosing Events the focus is on #${focused}`);
    check('tapping "Events" closed the drawer and showed the Events panel on screen, focus on its title');

    // Every panel, by keyboard: Enter opens the drawer, Tab reaches the link, Enter shows the panel; none
    // makes the page scroll sideways. Escape closes the drawer and returns to the button.
    for (const { id, title } of panels) {
      await toggle.focus();
      await page.keyboard.press('Enter');
      const link = drawer.getByRole('link', { name: title, exact: true });
      await link.waitFor({ state: 'visible', timeout: 2_000 });
      for (let i = 0; i < titles.length + 2 && !(await link.evaluate((a) => a === document.activeElement)); i++) {
        await page.keyboard.press('Tab');
      }
      await page.keyboard.press('Enter');
      const panel = page.locator(`section:has(> h2#${id})`);
      await panel.waitFor({ state: 'visible', timeout: 2_000 });
      await onScreen(panel, `the ${title} panel`, PHONE.width);
      await noSidewaysScroll(page, `phone, ${title} panel`);
    }
    check(`by keyboard (Enter, Tab, Enter) each of the ${titles.length} panels showed without sideways scrolling`);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await drawer.waitFor({ state: 'visible', timeout: 2_000 });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden', timeout: 2_000 });
    const back = await toggle.evaluate((b) => b === document.activeElement && b.getAttribute('aria-expanded'));
    if (back !== 'false') throw new Error('Escape did not close the drawer and return to the Panels button');
    check('Escape closed the drawer and put the focus back on "Panels"');

    await checkControls(page, 'phone');
    await sevenOnPhone(page);
    await linkedPanel(page, url);
  } finally {
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false }).catch(() => {});
    await cdp.detach().catch(() => {});
    await page.setViewportSize(DESKTOP);
  }
}

export async function screens(page, url) {
  await page.setViewportSize(DESKTOP);
  const leader = await waitFor('a leader', async () =>
    (await memberNames(page)).map(parseMember).find((m) => m?.role === 'leader'));
  for (const [k, v] of [['/config/region', 'eu-west'], ['/config/replicas', '3'], ['greeting', 'hello <b>world</b>']]) {
    await runCommand(page, `put ${k} '${v}'`, ['OK']);
  }
  const toggle = page.getByRole('button', { name: 'Panels', exact: true });
  if (await toggle.isVisible()) throw new Error('the Panels drawer shows at desktop width');
  await noSidewaysScroll(page, 'desktop');
  // The window as a visitor first sees it: from the top, not scrolled to the console's prompt.
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.screenshot({ path: path.join(ARTIFACTS, 'desktop.png') });
  check(`desktop ${DESKTOP.width}x${DESKTOP.height}: ${leader.name} leads, 3 keys put, no drawer, no sideways scroll; artifacts/desktop.png`);
  await checkControls(page, 'desktop');
  await phone(page, url);
}
