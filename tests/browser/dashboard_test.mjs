// The daemon's dashboard in a real browser: `ghscale sandbox` (the real daemon against
// simulated GitHub and cloud, on loopback, port 0) replays a short workload; chromium
// loads /ui; the DOM must show the pool, charts whose last points are the values
// /api/v1/series holds at those samples, and the action log /api/v1/actions holds, with
// no console error (the page's strict Content-Security-Policy included). A screenshot is
// saved for a look by eye. Then Ctrl-C ends the sandbox's linger cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { check, finish, assert, assertEqual } from '../deploy/templates/lib/harness.mjs';
import { openBrowser, outDir, ghscaleBinary, childEnv, findChromium, waitFor as waitUntil, readDashboard,
  compareActions } from './lib.mjs';

findChromium();  // skips before starting anything when there is no browser
const sandbox = spawn(ghscaleBinary(), ['sandbox', '--port', '0', '--minutes', '12', '--speed', '60', '--quiet',
  '--linger', '120'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
sandbox.stdout.on('data', (d) => { stdout += d; });
sandbox.stderr.on('data', (d) => { stderr += d; });
const exited = new Promise((resolve) => sandbox.on('exit', (code, signal) => resolve({ code, signal })));

const waitFor = (what, predicate, ms) =>
  waitUntil(what, predicate, ms, () => `sandbox stdout:\n${stdout}\nstderr:\n${stderr}`);

let browser;
let ok = false;
try {
  const url = await waitFor('the dashboard line', () => {
    const m = /^ghscale sandbox: dashboard (http:\/\/127\.0\.0\.1:\d+\/ui)$/m.exec(stdout);
    return m && m[1];
  }, 30000);
  const base = url.replace(/\/ui$/, '');
  const api = async (p) => (await fetch(base + p)).json();
  await check('the dashboard URL is the first line the sandbox prints', () => {
    assert(stdout.startsWith('ghscale sandbox: dashboard http://127.0.0.1:'), `first line: ${stdout.split('\n')[0]}`);
  });

  const opened = await openBrowser();
  browser = opened.browser;
  const { page, problems } = opened;
  const response = await page.goto(url, { waitUntil: 'load' });
  await check('GET /ui answers the page with a Content-Security-Policy', () => {
    assertEqual(response.status(), 200, 'status');
    assert((response.headers()['content-security-policy'] || '').includes("default-src 'self'"), 'no CSP header');
  });
  // The whole replay, so the charts show a run from start to end.
  await waitFor('the end of the replay (the linger line)', () => /dashboard still up at /.test(stdout), 120000);
  const polls = Number(await page.evaluate(() => document.body.dataset.polls || 0));
  await page.waitForFunction((n) => Number(document.body.dataset.polls || 0) > n, { timeout: 15000 }, polls);

  const dom = await readDashboard(page);
  const series = await api('/api/v1/series');
  const actions = await api('/api/v1/actions?last=50');

  await check('the pool is shown', () => assertEqual(dom.pools, series.pools.map((p) => p.name), 'pools'));
  await check('the capacity chart has the samples /api/v1/series has, with the same values', () => {
    const s = series.pools[0].samples;
    assert(dom.points >= 10, `only ${dom.points} samples drawn`);
    assert(s.at.length >= dom.points, `the API has ${s.at.length} samples, the page drew ${dom.points}`);
    for (const k of ['queued', 'booting', 'idle', 'busy', 'desired']) {
      assertEqual(dom.lines[k], s[k][dom.points - 1], `${k} at sample ${dom.points}`);
    }
    assert(Math.max(...s.busy.slice(0, dom.points)) > 0, 'no runner was ever busy: the replay did not run');
  });
  await check('the cost chart is drawn and the run cost something', () => {
    assert(dom.costPoints >= 10, `cost chart has ${dom.costPoints} points`);
    assert(series.pools[0].cost_total > 0, 'cost_total is 0');
  });
  await check('the queue-wait histogram holds every waited job', () => {
    const total = dom.histogram.reduce((a, b) => a + b, 0);
    assert(total > 0, 'empty histogram');
    assertEqual(String(total), dom.waitJobs.replace(/\D/g, ''), 'jobs in the bars vs the figure');
  });
  await check('the GitHub rate-limit buckets are listed', () => {
    assertEqual(dom.buckets, series.rate_limits.map((b) => b.resource), 'buckets');
    assert(dom.buckets.includes('core'), 'no core bucket');
  });
  await check('the action log is the one /api/v1/actions holds', () => {
    assert(dom.actions.length > 0, 'no actions shown');
    assert(compareActions(dom.actions, actions) > 0, 'no action on the page could be compared');
    assert(dom.actions.some((r) => /scale/.test(r.cells[2])), 'no scale action shown');
  });
  const shot = path.join(outDir(), 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  await check('no console errors', () => assertEqual(problems, [], 'problems'));
  ok = true;
} catch (e) {
  await check('the dashboard test ran to its end', () => { throw e; });
} finally {
  if (browser) await browser.close();
  sandbox.kill('SIGINT');
}
const { code, signal } = await exited;
if (ok) {
  await check('Ctrl-C ends the linger and the sandbox exits 0', () => {
    assertEqual({ code, signal }, { code: 0, signal: null }, `exit (stderr: ${stderr})`);
  });
}
finish();
