// `ghscale simulate --html` in a real browser: the page opens from a file with no
// network, draws every chart with data, and its table shows the figures `--json` gave
// in the same run. A screenshot is saved for a look by eye.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, finish, assert, assertEqual } from '../deploy/templates/lib/harness.mjs';
import { openBrowser, outDir, ghscaleBinary, childEnv, findChromium } from './lib.mjs';

findChromium();
const html = path.join(outDir(), 'simulate-report.html');
fs.rmSync(html, { force: true });
const json = JSON.parse(execFileSync(ghscaleBinary(), ['simulate', '--hours', '3', '--jobs-per-day', '4000', '--json',
  '--html', html], { env: childEnv(), encoding: 'utf8' }));
const policies = json.policies.map((p) => p.policy);

const { browser, page, problems } = await openBrowser();
try {
  // No request may leave the page: it is self-contained.
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  const dom = await page.evaluate(() => ({
    charts: [...document.querySelectorAll('svg[data-chart]')].map((s) => s.dataset.chart),
    lines: [...document.querySelectorAll('svg[data-chart] polyline')].map((l) => ({
      chart: l.closest('svg').dataset.chart, series: l.dataset.series, points: Number(l.dataset.points) })),
    bars: Object.fromEntries([...document.querySelectorAll('svg[data-chart]')].map((s) => [s.dataset.chart,
      [...s.querySelectorAll('rect[data-value]')].map((r) => Number(r.dataset.value))])),
    header: [...document.querySelectorAll('#figures tr:first-child th')].map((t) => t.textContent),
    rows: Object.fromEntries([...document.querySelectorAll('#figures tr')].slice(1).map((tr) =>
      [tr.children[0].textContent, [...tr.children].slice(1).map((c) => c.textContent)])),
  }));
  await check('every chart is drawn', () => {
    for (const c of ['wait-percentiles', 'wait-distribution', 'wait-histogram', 'cost', 'calls-per-job', 'instances']) {
      assert(dom.charts.includes(c), `no ${c} chart`);
    }
    for (const p of policies) assert(dom.charts.includes(`demand-${p}`), `no demand chart for ${p}`);
  });
  await check('the time series have data for every policy', () => {
    for (const p of policies) {
      const l = dom.lines.find((x) => x.chart === 'instances' && x.series === p);
      assert(l && l.points >= 60, `${p}: ${l ? l.points : 0} points`);
    }
  });
  await check('the bars are the figures of --json', () => {
    const n = policies.length;
    assertEqual(dom.bars.cost.length, 2 * n, 'cost bars');
    assertEqual(dom.bars['wait-percentiles'].length, 4 * n, 'wait bars');
    // The histogram: per bucket, one bar per policy, its share of that policy's jobs.
    const buckets = json.policies[0].queue_wait_histogram.jobs.length;
    assertEqual(dom.bars['wait-histogram'].length, buckets * n, 'histogram bars');
    json.policies.forEach((p, i) => {
      const jobs = p.queue_wait_histogram.jobs;
      const total = jobs.reduce((a, b) => a + b, 0);
      jobs.forEach((count, b) => {
        const share = total > 0 ? (100 * count) / total : 0;
        assert(Math.abs(dom.bars['wait-histogram'][b * n + i] - share) < 1e-3, `${p.policy} bucket ${b}: ${share}%`);
      });
    });
    json.policies.forEach((p, i) => {
      // Stacked per policy: on-demand then spot.
      assert(Math.abs(dom.bars.cost[2 * i] - p.cost_usd.on_demand) < 1e-3, `${p.policy} on-demand cost`);
      assert(Math.abs(dom.bars.cost[2 * i + 1] - p.cost_usd.spot) < 1e-3, `${p.policy} spot cost`);
    });
  });
  await check('the table shows the figures of --json', () => {
    assertEqual(dom.header.slice(1), policies, 'columns');
    assertEqual(dom.rows['total cost ($)'], json.policies.map((p) => p.cost_usd.total.toFixed(2)), 'total cost');
    assertEqual(dom.rows['queue wait p95 (s)'], json.policies.map((p) => p.queue_wait_seconds.p95.toFixed(1)), 'p95');
    assertEqual(dom.rows['GitHub calls / job'], json.policies.map((p) => p.github_calls_per_job.toFixed(2)), 'calls/job');
  });
  await check('the page loads nothing else', () => assertEqual(requests.filter((u) => !u.startsWith('file:')), [], 'requests'));
  const shot = path.join(outDir(), 'simulate-report.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  await check('no console errors', () => assertEqual(problems, [], 'problems'));
} finally {
  await browser.close();
}
finish();
