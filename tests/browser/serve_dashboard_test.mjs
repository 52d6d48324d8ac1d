// The dashboard of `ghscale serve` itself: a daemon with one simulated-cloud pool, on
// loopback port 0, against a small GitHub stand-in served here (empty runner list,
// JIT configs, rate-limit headers). Four signed workflow_job deliveries arrive; the page
// must then show four queued jobs and the launches they caused, as /api/v1/series and
// /api/v1/actions hold them, the "core" rate-limit bucket the stand-in reports, and no
// console error. A screenshot is saved; SIGTERM then stops the daemon cleanly.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { check, finish, assert, assertEqual } from '../deploy/templates/lib/harness.mjs';
import { openBrowser, outDir, ghscaleBinary, childEnv, findChromium, waitFor, readDashboard,
  compareActions } from './lib.mjs';

findChromium();  // skips before starting anything when there is no browser

// --- the GitHub stand-in: only what the scaler asks of an organisation's pool ---
let runnerId = 0;
const github = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const headers = { 'Content-Type': 'application/json', 'X-RateLimit-Resource': 'core', 'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '4990', 'X-RateLimit-Used': '10',
      'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 3600) };
    const p = new URL(req.url, 'http://x').pathname;
    const answer = (status, value) => { res.writeHead(status, headers); res.end(JSON.stringify(value)); };
    if (req.method === 'GET' && p === '/orgs/acme/actions/runners') return answer(200, { total_count: 0, runners: [] });
    if (req.method === 'GET' && p === '/orgs/acme/actions/runner-groups') {
      return answer(200, { total_count: 1, runner_groups: [{ id: 1, name: 'Default', default: true }] });
    }
    if (req.method === 'GET' && p === '/orgs/acme/repos') return answer(200, []);
    if (req.method === 'POST' && p === '/orgs/acme/actions/runners/generate-jitconfig') {
      const asked = JSON.parse(body || '{}');
      return answer(201, { runner: { id: ++runnerId, name: asked.name, os: 'linux', status: 'offline', busy: false,
        labels: (asked.labels || []).map((name) => ({ name })) }, encoded_jit_config: 'c2ltdWxhdGVk' });
    }
    return answer(404, { message: 'Not Found' });
  });
});
await new Promise((r) => github.listen(0, '127.0.0.1', r));

// --- the daemon ---
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ghscale-browser-'));
const secret = crypto.randomBytes(16).toString('hex');
fs.writeFileSync(path.join(dir, 'ghscale.yaml'), `
server:
  address: 127.0.0.1
  port: 0
github:
  api_url: http://127.0.0.1:${github.address().port}
  auth:
    pat:
      token: env:GHSCALE_BROWSER_TEST_TOKEN
webhook:
  secrets:
    - env:GHSCALE_BROWSER_TEST_SECRET
store:
  sqlite:
    path: ${path.join(dir, 'ghscale.db')}
pools:
  - name: linux
    labels: [linux, x64]
    scope: {org: acme}
    provider:
      type: sim
      boot_time: 2s
    max_runners: 8
reconcile:
  tick: 1s
logging:
  level: info
  format: json
`);
const daemon = spawn(ghscaleBinary(), ['serve', '--config', path.join(dir, 'ghscale.yaml')], {
  env: { ...childEnv(), GHSCALE_BROWSER_TEST_TOKEN: 'not-a-real-token', GHSCALE_BROWSER_TEST_SECRET: secret },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
daemon.stderr.on('data', (d) => { stderr += d; });
daemon.stdout.on('data', () => {});
const exited = new Promise((resolve) => daemon.on('exit', (code, signal) => resolve({ code, signal })));
const context = () => `daemon stderr:\n${stderr.slice(-4000)}`;

function delivery(id) {
  const now = new Date().toISOString();
  return JSON.stringify({
    action: 'queued',
    workflow_job: { id, run_id: 500, run_attempt: 1, status: 'queued', conclusion: null, created_at: now, started_at: now,
      completed_at: null, name: `build ${id}`, steps: [], labels: ['self-hosted', 'linux', 'x64'], runner_id: null,
      runner_name: null, runner_group_id: null, runner_group_name: null, workflow_name: 'ci', head_branch: 'main',
      head_sha: 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed',
      html_url: `https://github.com/acme/app/actions/runs/500/job/${id}` },
    repository: { id: 1, name: 'app', full_name: 'acme/app', private: true,
      owner: { login: 'acme', id: 4242, type: 'Organization' } },
    organization: { login: 'acme', id: 4242 },
    sender: { login: 'octocat', id: 1, type: 'User' },
  });
}

let browser;
let ok = false;
try {
  const port = await waitFor('the daemon to listen', () => {
    const m = /"msg":"listening".*?"port":(\d+)/.exec(stderr);
    return m && Number(m[1]);
  }, 30000, context);
  const base = `http://127.0.0.1:${port}`;
  const api = async (p) => (await fetch(base + p)).json();

  await check('four signed deliveries are recorded', async () => {
    for (let id = 7001; id <= 7004; id++) {
      const body = delivery(id);
      const r = await fetch(`${base}/webhook`, { method: 'POST', body, headers: {
        'Content-Type': 'application/json', 'X-GitHub-Event': 'workflow_job', 'X-GitHub-Delivery': crypto.randomUUID(),
        'X-Hub-Signature-256': 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex') } });
      assertEqual([r.status, await r.text()], [200, '{"status":"recorded"}'], `delivery ${id}`);
    }
  });

  const opened = await openBrowser();
  browser = opened.browser;
  const { page, problems } = opened;
  await page.goto(`${base}/ui`, { waitUntil: 'load' });
  // The sampler takes a sample every 5 s and the page polls every 3 s.
  const dom = await waitFor('four queued jobs and four launches on the page', async () => {
    const d = await readDashboard(page);
    return d.lines.queued === 4 && d.lines.booting === 4 && d.actions.length >= 5 ? d : null;
  }, 40000, context);
  const series = await api('/api/v1/series');
  const actions = await api('/api/v1/actions?last=50');

  await check('the pool is shown', () => assertEqual(dom.pools, ['linux'], 'pools'));
  await check('the capacity chart ends at the values /api/v1/series holds there', () => {
    const s = series.pools[0].samples;
    assert(s.at.length >= dom.points && dom.points >= 1, `API ${s.at.length} samples, page ${dom.points}`);
    for (const k of ['queued', 'booting', 'idle', 'busy', 'desired']) {
      assertEqual(dom.lines[k], s[k][dom.points - 1], `${k} at sample ${dom.points}`);
    }
  });
  await check('the launches reached the series and the cost', () => {
    assertEqual(series.scaler.launches.reduce((a, b) => a + b, 0), 4, 'launches over the samples');
    assert(series.pools[0].cost_per_hour > 0, 'cost per hour is 0 with four instances');
  });
  await check('the action log is the one /api/v1/actions holds', () => {
    assert(compareActions(dom.actions, actions) >= 5, 'fewer than 5 actions compared');
    const kinds = dom.actions.map((r) => r.cells[2]);
    assert(kinds.includes('scale_out'), `no scale_out in ${kinds}`);
    assertEqual(kinds.filter((k) => k === 'register').length, 4, 'register actions');
  });
  await check('the rate-limit bucket GitHub reported is listed', () => assertEqual(dom.buckets, ['core'], 'buckets'));
  const shot = path.join(outDir(), 'serve-dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  await check('no console errors', () => assertEqual(problems, [], 'problems'));
  ok = true;
} catch (e) {
  await check('the serve dashboard test ran to its end', () => { throw e; });
} finally {
  if (browser) await browser.close();
  daemon.kill('SIGTERM');
}
const { code, signal } = await exited;
github.close();
fs.rmSync(dir, { recursive: true, force: true });
if (ok) {
  await check('SIGTERM stops the daemon cleanly', () => assertEqual({ code, signal }, { code: 0, signal: null }, 'exit'));
}
finish();
