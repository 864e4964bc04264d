// Issue 13's wide layout: on a desktop (1440x900) the panel tabs above the ring and the console reach every
// panel without scrolling past the others. Choosing a tab puts that panel beside the console, with the ring,
// the console's prompt and the panel's title all on screen at once; "All panels" brings back the grid.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, runCommand, sleep, waitFor } from './lib.mjs';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

const WIDE = { width: 1440, height: 900 };

/** Whether an element's box starts within the viewport's height (and is shown at all). */
async function onScreen(locator) {
  const box = await locator.boundingBox();
  return box && box.y >= 0 && box.y < WIDE.height && box.height > 0 ? box : null;
}

export async function dashboard(page) {
  const before = page.viewportSize();
  await page.setViewportSize(WIDE);
  try {
    const tabs = page.getByRole('navigation', { name: 'Panel tabs', exact: true });
    const names = (await waitFor('the panel tabs', async () => {
      const all = await tabs.getByRole('link').allTextContents();
      return all.length > 5 && all;
    })).filter((n) => n !== 'All panels');
    const ring = page.getByRole('region', { name: 'cluster', exact: true });
    const prompt = page.getByRole('textbox', { name: 'etcdctl', exact: true });
    const seen = [];
    for (const name of names) {
      await tabs.getByRole('link', { name, exact: true }).click();
      const title = page.locator('.panel-grid h2.panel-title').filter({ hasText: new RegExp(`^${name}$`, 'i') });
      const box = await waitFor(`the ${name} panel on screen`, async () => onScreen(title), 3_000);
      const [r, p] = [await onScreen(ring), await onScreen(prompt)];
      if (!r || !p) throw new Error(`with the ${name} tab the ring (${JSON.stringify(r)}) or the prompt (${JSON.stringify(p)}) is off screen`);
      const others = await page.locator('.panel-grid > section').evaluateAll((els) => els.filter((e) => e.offsetParent !== null).length);
      if (others !== 1) throw new Error(`the ${name} tab shows ${others} panels`);
      if (!(box.x > p.x)) throw new Error(`the ${name} panel is not beside the console: ${JSON.stringify(box)}`);
      seen.push(`${name} at (${Math.round(box.x)}, ${Math.round(box.y)})`);
    }
    check(`${names.length} tabs at ${WIDE.width}x${WIDE.height}: each panel beside the console with the ring and the prompt on screen: ${seen.join(', ')}`);
    await tabs.getByRole('link', { name: 'All panels', exact: true }).click();
    await waitFor('every panel back in the grid', async () =>
      (await page.locator('.panel-grid > section').evaluateAll((els) => els.filter((e) => e.offsetParent !== null).length)) === names.length, 3_000);
    check('"All panels" shows the grid of every panel again');
    // The README's desktop screenshot: the Raft tab beside a write, its messages in slow motion.
    await tabs.getByRole('link', { name: 'Raft', exact: true }).click();
    await runCommand(page, 'put greeting hello', ['OK']);
    await sleep(150);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png') });
    await tabs.getByRole('link', { name: 'All panels', exact: true }).click();
  } finally {
    await page.setViewportSize(before);
  }
}
