// What the browser tests share: Debian's chromium driven by npm puppeteer-core (never a
// browser of its own: puppeteer-core downloads none), found where scripts/setup puts
// them; a visible skip (exit 77) when either is missing; console errors collected.
import fs from 'node:fs';
import path from 'node:path';
import { requirePackage, skip, sourceDir } from '../deploy/templates/lib/harness.mjs';

export function findChromium() {
  const candidates = [process.env.GHSCALE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  skip('chromium not found (Debian package chromium; scripts/setup installs it)');
}

// A headless browser and a page whose console errors, page errors and failed requests
// are recorded in `problems`.
export async function openBrowser() {
  const executablePath = findChromium();
  const puppeteer = requirePackage('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1400,1000'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  return { browser, page, problems };
}

// Where screenshots go: GHSCALE_BROWSER_OUT (the build tree's browser/ folder, set by
// CMake), else build/browser of the source tree (outside git either way).
export function outDir() {
  const dir = process.env.GHSCALE_BROWSER_OUT || path.join(sourceDir, 'build', 'browser');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function ghscaleBinary() {
  const bin = process.env.GHSCALE_BINARY;
  if (!bin || !fs.existsSync(bin)) throw new Error(`GHSCALE_BINARY not set or missing: ${bin}`);
  return bin;
}

// The environment of every process a test starts: never reach for instance metadata.
export function childEnv() {
  return { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
}

// Polls `predicate` every 100 ms until it returns something truthy (returned), or fails
// after `ms` with `context()` (e.g. a child's output) in the message.
export async function waitFor(what, predicate, ms, context = () => '') {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await predicate();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

// What the dashboard shows, read from its DOM: the pools, the first pool's capacity chart
// (samples drawn and each line's last value), the cost chart's samples, the histogram's
// bars, the rate-limit rows and the action log's rows.
export function readDashboard(page) {
  return page.evaluate(() => {
    const pool = document.querySelector('section.pool[data-pool]');
    const capacity = pool && pool.querySelector('svg[data-chart="capacity"]');
    const lines = {};
    if (capacity) for (const l of capacity.querySelectorAll('polyline')) lines[l.dataset.series] = Number(l.dataset.last);
    const cost = pool && pool.querySelector('svg[data-chart="cost"]');
    const figure = document.querySelector('[data-figure="wait-jobs"]');
    return {
      polls: Number(document.body.dataset.polls || 0),
      pools: [...document.querySelectorAll('section.pool')].map((s) => s.dataset.pool),
      points: capacity ? Number(capacity.dataset.points) : 0,
      lines,
      costPoints: cost ? Number(cost.dataset.points) : 0,
      histogram: [...document.querySelectorAll('svg[data-chart="wait-histogram"] rect[data-value]')].map((r) => Number(r.dataset.value)),
      waitJobs: figure ? figure.textContent : '',
      buckets: [...document.querySelectorAll('#rate-limits tr[data-bucket]')].map((r) => r.dataset.bucket),
      actions: [...document.querySelectorAll('#actions tr[data-action-id]')].map((r) => ({
        id: Number(r.dataset.actionId), cells: [...r.children].map((c) => c.textContent) })),
    };
  });
}

// Every action row on the page that /api/v1/actions (read after the page's poll) still
// lists must be the same action; returns how many were compared.
export function compareActions(domActions, apiActions) {
  const byId = new Map(apiActions.map((a) => [a.id, a]));
  const oldest = Math.min(...apiActions.map((a) => a.id));
  let compared = 0;
  for (const row of domActions) {
    if (row.id < oldest) continue;  // pushed out of the API's last 50 by newer actions since the poll
    const a = byId.get(row.id);
    if (!a) throw new Error(`action ${row.id} on the page is not in /api/v1/actions`);
    const shown = JSON.stringify(row.cells.slice(1));
    const expected = JSON.stringify([a.pool, a.kind, String(a.count), a.reason, a.result]);
    if (shown !== expected) throw new Error(`action ${row.id}: page ${shown}, API ${expected}`);
    compared++;
  }
  return compared;
}
