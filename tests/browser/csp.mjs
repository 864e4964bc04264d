// The page's Content-Security-Policy: present in the served page before any script, strict (nothing from
// another origin, no inline script but Trunk's hashed loader, no inline style), and enforced: scripts and
// styles a page injects are refused, each with a `securitypolicyviolation` event and a console error (the
// console error is what makes any violation during the other suites fail the run).

import { allowConsoleErrors, check, memberNames, parseMember, waitFor } from './lib.mjs';
import { inlineScriptHashes, policyOf } from '../../scripts/csp.mjs';

/** The policy's directives as { name: [sources] }. */
function directives(policy) {
  const out = {};
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name] = sources;
  }
  return out;
}

/** The served index.html's policy is strict and names every inline script's hash. */
async function servedPolicy(url) {
  const html = await (await fetch(url)).text();
  const policy = policyOf(html);
  if (!policy) throw new Error('the served page has no <meta http-equiv="Content-Security-Policy">');
  const d = directives(policy);
  const expect = (ok, what) => {
    if (!ok) throw new Error(`the policy ${what}: ${policy}`);
  };
  expect(d['default-src']?.join(' ') === "'none'", "does not default to 'none'");
  for (const [name, sources] of Object.entries(d)) {
    const loose = sources.filter((s) => /^'unsafe-(inline|eval|hashes)'$|^\*$|^(https?|wss?|blob|data):?$|\./.test(s));
    // data: images are the inline favicon; nothing else may name a scheme, a host or a wildcard.
    const allowed = name === 'img-src' ? loose.filter((s) => s !== 'data:') : loose;
    expect(allowed.length === 0, `lets ${name} use ${allowed.join(' ')}`);
  }
  for (const name of ['script-src', 'style-src', 'connect-src', 'img-src', 'base-uri', 'object-src', 'form-action']) {
    expect(d[name], `has no ${name}`);
  }
  const hashes = inlineScriptHashes(html);
  expect(hashes.length >= 1, 'is checked against a page with no inline loader (did Trunk change?)');
  const missing = hashes.filter((h) => !d['script-src'].includes(h));
  expect(missing.length === 0, `misses inline script hashes ${missing.join(' ')}`);
  const metaAt = html.search(/<meta\s+http-equiv="Content-Security-Policy"/i);
  const firstScript = html.search(/<script\b|<link[^>]+modulepreload/i);
  expect(metaAt < firstScript, 'comes after a script, which it would not cover');
  check(`served policy is strict, before any script, with ${hashes.length} inline script hash(es): ${policy.slice(0, 90)}…`);
  return policy;
}

/** Injects each kind of inline code the policy forbids and reports what the page saw. */
async function provoke(page) {
  return page.evaluate(async () => {
    const violations = [];
    const onViolation = (e) => violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, disposition: e.disposition });
    document.addEventListener('securitypolicyviolation', onViolation);
    const script = document.createElement('script');
    script.textContent = 'window.__cspProbeScript = true;';
    document.head.appendChild(script);
    const handler = document.createElement('button');
    handler.setAttribute('onclick', 'window.__cspProbeHandler = true');
    handler.click();
    const style = document.createElement('style');
    style.textContent = 'body { --csp-probe: 1; }';
    document.head.appendChild(style);
    // Violation events are queued as tasks: wait for all three (or give up after 2 s).
    for (let i = 0; i < 40 && violations.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    document.removeEventListener('securitypolicyviolation', onViolation);
    script.remove();
    style.remove();
    return {
      violations,
      scriptRan: window.__cspProbeScript === true,
      handlerRan: window.__cspProbeHandler === true,
      styleApplied: getComputedStyle(document.body).getPropertyValue('--csp-probe').trim() === '1',
    };
  });
}

export async function csp(page, url) {
  const policy = await servedPolicy(url);
  const inPage = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  if (inPage !== policy) throw new Error(`the page runs under ${JSON.stringify(inPage)}, not the served policy`);

  // The WebAssembly page starts and elects a leader under the policy.
  const leader = await waitFor('a leader under the policy', async () =>
    (await memberNames(page)).map(parseMember).find((m) => m?.role === 'leader'));
  check(`under the policy the page runs: ${leader.name} leads term ${leader.term}`);

  const allowed = allowConsoleErrors(page, /Content Security Policy/);
  let seen;
  try {
    seen = await provoke(page);
    await waitFor('the three violations in the console', async () => allowed.count() >= 3, 3_000).catch(() => {});
  } finally {
    allowed.stop();
  }
  const directivesHit = seen.violations.map((v) => v.directive).sort();
  const want = ['script-src-attr', 'script-src-elem', 'style-src-elem'];
  if (JSON.stringify(directivesHit) !== JSON.stringify(want)) {
    throw new Error(`expected violations of ${want.join(', ')}, got ${JSON.stringify(seen.violations)}`);
  }
  if (seen.violations.some((v) => v.disposition !== 'enforce' || v.blocked !== 'inline')) {
    throw new Error(`a violation was not an enforced block of inline code: ${JSON.stringify(seen.violations)}`);
  }
  if (seen.scriptRan || seen.handlerRan || seen.styleApplied) {
    throw new Error(`injected code took effect: ${JSON.stringify(seen)}`);
  }
  if (allowed.count() < 3) throw new Error(`only ${allowed.count()} of 3 violations reached the console as errors`);
  check(`an injected inline script, onclick handler and <style> were refused (${directivesHit.join(', ')}), each a console error`);
}
