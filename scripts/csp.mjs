// Trunk post_build hook (see Trunk.toml): completes the page's Content-Security-Policy.
//
// app/index.html carries the policy as a <meta http-equiv="Content-Security-Policy"> whose script-src names
// the placeholder __INLINE_SCRIPT_HASHES__. Trunk then injects its module loader as an inline <script>
// (and, under `trunk serve`, its auto-reload script). Instead of allowing every inline script
// ('unsafe-inline'), this replaces the placeholder with the SHA-256 hash of each inline script Trunk wrote,
// so exactly those run and an injected one does not. It rewrites $TRUNK_STAGING_DIR/index.html in place.
//
// Usage: node scripts/csp.mjs [index.html]   (without an argument: $TRUNK_STAGING_DIR/index.html)

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PLACEHOLDER = '__INLINE_SCRIPT_HASHES__';
/** Sources a strict policy must never contain: they would let injected code or remote code run. */
const FORBIDDEN = ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", 'http:', 'https:', '*'];

/** CSP hash sources ('sha256-…') of the page's inline scripts, in document order. */
export function inlineScriptHashes(html) {
  const hashes = [];
  // An HTML parser ends a script's text at the first `</script`; so does this pattern. The browser hashes
  // exactly that text, as UTF-8.
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script/gi)) {
    if (/\bsrc\s*=/i.test(m[1])) continue;
    const digest = crypto.createHash('sha256').update(m[2], 'utf8').digest('base64');
    hashes.push(`'sha256-${digest}'`);
  }
  return hashes;
}

/** The policy of the page's CSP meta element, or null. */
export function policyOf(html) {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
  return meta ? meta[1] : null;
}

/** `html` with the placeholder replaced by its inline scripts' hashes; throws if the result is not strict. */
export function completePolicy(html) {
  const policy = policyOf(html);
  if (policy === null) throw new Error('no <meta http-equiv="Content-Security-Policy"> in the page');
  if (!policy.includes(PLACEHOLDER)) throw new Error(`the policy has no ${PLACEHOLDER} to fill: ${policy}`);
  const hashes = [...new Set(inlineScriptHashes(html))];
  // No inline script at all: the placeholder simply goes, and script-src stays 'self'.
  const filled = policy.replace(` ${PLACEHOLDER}`, hashes.map((h) => ` ${h}`).join('')).replace(PLACEHOLDER, '');
  const sources = filled.split(/[;\s]+/);
  const bad = FORBIDDEN.filter((s) => sources.includes(s));
  if (bad.length) throw new Error(`the policy is not strict (${bad.join(', ')}): ${filled}`);
  return html.replace(policy, () => filled);
}

function main() {
  const file = process.argv[2] ?? (process.env.TRUNK_STAGING_DIR && path.join(process.env.TRUNK_STAGING_DIR, 'index.html'));
  if (!file) throw new Error('usage: node scripts/csp.mjs INDEX_HTML (or run as a Trunk hook)');
  const html = completePolicy(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, html);
  console.log(`csp: ${inlineScriptHashes(html).length} inline script(s) hashed into the policy of ${file}`);
}

// Run as a script (not when a test imports the functions above).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(`csp: ${err.message}`);
    process.exit(1);
  }
}
