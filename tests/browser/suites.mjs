// The browser suites that run after the main walk-through in e2e.mjs, each on a freshly loaded page.
// A suite is `async (page, url) => {}` that throws on failure and calls `check` for what it proved.

import { messages } from './messages.mjs';
import { lessons } from './lessons.mjs';

export const SUITES = [messages, lessons];
