// The browser suites that run after the main walk-through in e2e.mjs, each on a freshly loaded page.
// A suite is `async (page, url) => {}` that throws on failure and calls `check` for what it proved.

import { leasesAndWatches } from './leases.mjs';
import { csp } from './csp.mjs';
import { screens } from './screens.mjs';
import { messages } from './messages.mjs';
import { keyspace } from './keyspace.mjs';
import { lessons } from './lessons.mjs';
import { historyCheck } from './checker.mjs';
import { kubernetes } from './kubernetes.mjs';
import { dashboard } from './dashboard.mjs';

// screens stays last: it resizes the window to a phone's and back, and shoots the page as the others left it.
export const SUITES = [leasesAndWatches, csp, messages, lessons, keyspace, historyCheck, kubernetes, dashboard, screens];
