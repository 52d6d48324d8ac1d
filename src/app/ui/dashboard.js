// ghscale's dashboard: polls the status API and draws plain SVG (no library, nothing
// loaded from elsewhere: the page's Content-Security-Policy allows only this origin).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 3000;
const COLORS = { queued: '#d9822b', booting: '#8e6fd8', idle: '#3aa676', busy: '#2f6fde', desired: '#5b6472',
  cost: '#b3261e', total: '#1d2330', launches: '#2f6fde', terminations: '#d9822b', p50: '#2f6fde', p95: '#b3261e' };

function el(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function html(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A round step for about `n` ticks up to `max`.
function niceStep(max, n) {
  const raw = max / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

// Seconds too when the chart spans only minutes (a daemon just started).
function clock(ms, withSeconds) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], withSeconds ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
    : { hour: '2-digit', minute: '2-digit' });
}

function number(v, digits) {
  if (!isFinite(v)) return '–';
  return v.toLocaleString([], { maximumFractionDigits: digits === undefined ? 1 : digits });
}

// A line chart of several series over time. spec: {title, at:[ms], lines:[{name, color,
// values}], format}. The svg carries data-points (samples drawn) for tests and tools.
function lineChart(spec) {
  const W = 640, H = 220, L = 44, R = 10, T = 22, B = 40;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.title, 'data-chart': spec.id || '' });
  svg.appendChild(el('text', { x: L, y: 14, class: 'title' }, spec.title));
  const at = spec.at || [];
  svg.setAttribute('data-points', String(at.length));
  if (at.length === 0) {
    svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'no samples yet'));
    return svg;
  }
  let max = 0;
  for (const line of spec.lines) for (const v of line.values) max = Math.max(max, v);
  if (max <= 0) max = 1;
  // Counts step by whole numbers at least (no "0, 0, 1, 1" labels).
  const step = Math.max(niceStep(max, 4), spec.minStep || 0);
  const top = Math.ceil(max / step) * step;
  const x0 = at[0], x1 = at[at.length - 1] > x0 ? at[at.length - 1] : x0 + 1;
  const x = (t) => L + ((t - x0) / (x1 - x0)) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const fmt = spec.format || ((v) => number(v, 2));
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.appendChild(el('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  const ticks = 5;
  const withSeconds = x1 - x0 < 10 * 60 * 1000;
  for (let i = 0; i <= ticks; i++) {
    const t = x0 + ((x1 - x0) * i) / ticks;
    // The last label ends at the edge instead of running past it.
    svg.appendChild(el('text', { x: x(t), y: H - B + 14, 'text-anchor': i === ticks ? 'end' : 'middle', class: 'axis' }, clock(t, withSeconds)));
  }
  let lx = L;
  for (const line of spec.lines) {
    const pts = line.values.map((v, i) => `${x(at[i]).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.appendChild(el('polyline', { points: pts, fill: 'none', stroke: line.color, 'stroke-width': 1.6,
      'data-series': line.name, 'data-last': String(line.values[line.values.length - 1]) }));
    svg.appendChild(el('rect', { x: lx, y: H - 14, width: 10, height: 3, fill: line.color }));
    const label = el('text', { x: lx + 14, y: H - 10, class: 'legend' }, line.name);
    svg.appendChild(label);
    lx += 22 + line.name.length * 6.5;
  }
  return svg;
}

// Bars with a label each. spec: {title, labels, values, color}.
function barChart(spec) {
  const W = 640, H = 200, L = 44, R = 10, T = 22, B = 30;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.title, 'data-chart': spec.id || '' });
  svg.appendChild(el('text', { x: L, y: 14, class: 'title' }, spec.title));
  svg.setAttribute('data-points', String(spec.values.length));
  const max = Math.max(1, ...spec.values);
  const step = Math.max(niceStep(max, 4), 1);  // bars count jobs
  const top = Math.ceil(max / step) * step;
  const y = (v) => T + (1 - v / top) * (H - T - B);
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.appendChild(el('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'axis' }, number(v, 0)));
  }
  const slot = (W - L - R) / Math.max(1, spec.values.length);
  spec.values.forEach((v, i) => {
    const bx = L + i * slot + slot * 0.15;
    svg.appendChild(el('rect', { x: bx, y: y(v), width: slot * 0.7, height: Math.max(0, y(0) - y(v)), fill: spec.color,
      'data-value': String(v) }));
    svg.appendChild(el('text', { x: bx + slot * 0.35, y: H - B + 14, 'text-anchor': 'middle', class: 'axis' }, spec.labels[i]));
  });
  return svg;
}

function seconds(s) {
  if (s < 60) return number(s, s < 10 ? 1 : 0) + ' s';
  if (s < 3600) return number(s / 60, 1) + ' min';
  return number(s / 3600, 1) + ' h';
}

function replace(node, child) {
  node.replaceChildren(child);
}

function poolSection(p, status) {
  let sec = document.querySelector(`section.pool[data-pool="${CSS.escape(p.name)}"]`);
  if (!sec) {
    sec = html('section', { class: 'pool panel', 'data-pool': p.name });
    sec.appendChild(html('h2', {}, ''));
    sec.appendChild(html('p', { class: 'figures' }, ''));
    const charts = html('div', { class: 'charts' });
    charts.appendChild(html('div', { class: 'chart capacity' }));
    charts.appendChild(html('div', { class: 'chart cost' }));
    sec.appendChild(charts);
    document.getElementById('pools').appendChild(sec);
  }
  const s = p.samples;
  const last = (k) => (s[k].length ? s[k][s[k].length - 1] : 0);
  sec.querySelector('h2').textContent = `Pool ${p.name} (${p.instance_type})`;
  const notes = status && status.notes && status.notes.length ? ' · ' + status.notes.join('; ') : '';
  const fig = sec.querySelector('.figures');
  fig.replaceChildren();
  const parts = [['queued', last('queued')], ['booting', last('booting')], ['idle', last('idle')], ['busy', last('busy')],
    ['cost so far', '$' + number(p.cost_total, 2)], ['per hour', '$' + number(p.cost_per_hour, 3)],
    ['on-demand', '$' + number(p.on_demand_cost, 2)], ['spot', '$' + number(p.spot_cost, 2)]];
  parts.forEach(([k, v], i) => {
    if (i) fig.append(' · ');
    fig.append(k + ' ');
    fig.appendChild(html('b', { 'data-figure': k }, String(v)));
  });
  if (notes) fig.append(notes);
  replace(sec.querySelector('.chart.capacity'), lineChart({
    id: 'capacity', title: 'Queued jobs and runners', at: s.at, format: (v) => number(v, 0), minStep: 1,
    lines: ['queued', 'booting', 'idle', 'busy', 'desired'].map((k) => ({ name: k, color: COLORS[k], values: s[k] })),
  }));
  replace(sec.querySelector('.chart.cost'), lineChart({
    id: 'cost', title: 'Cost: $ per hour now, and $ so far', at: s.at, format: (v) => '$' + number(v, 2),
    lines: [{ name: '$/hour', color: COLORS.cost, values: s.cost_per_hour },
      { name: '$ so far', color: COLORS.total, values: s.cost_total }],
  }));
}

function renderSeries(series, status) {
  const byName = {};
  for (const ps of (status && status.pools) || []) byName[ps.name] = ps;
  const names = new Set(series.pools.map((p) => p.name));
  for (const sec of document.querySelectorAll('section.pool')) if (!names.has(sec.dataset.pool)) sec.remove();
  for (const p of series.pools) poolSection(p, byName[p.name]);
  if (series.pools.length === 0) {
    document.getElementById('pools').replaceChildren(html('p', { class: 'panel muted' }, 'No pools: this daemon only ingests webhooks.'));
  }
  const q = series.queue_wait;
  const fig = document.getElementById('wait-figures');
  fig.replaceChildren();
  [['jobs', number(q.count, 0)], ['p50', seconds(q.p50)], ['p90', seconds(q.p90)], ['p99', seconds(q.p99)]].forEach(([k, v], i) => {
    if (i) fig.append(' · ');
    fig.append(k + ' ');
    fig.appendChild(html('b', { 'data-figure': 'wait-' + k }, v));
  });
  replace(document.getElementById('wait-histogram'), barChart({
    id: 'wait-histogram', title: 'Jobs by queue wait (seconds, up to)', color: COLORS.busy,
    labels: q.buckets.map((b) => (b.le === null ? 'more' : number(b.le, 0))), values: q.buckets.map((b) => b.count),
  }));
  const sc = series.scaler;
  replace(document.getElementById('wait-over-time'), lineChart({
    id: 'wait-over-time', title: 'Queue wait percentiles (estimated from the histogram)', at: sc.at, format: seconds,
    lines: [{ name: 'p50', color: COLORS.p50, values: sc.wait_p50 }, { name: 'p95', color: COLORS.p95, values: sc.wait_p95 }],
  }));
  replace(document.getElementById('launches'), lineChart({
    id: 'launches', title: `Instances launched and terminated per ${number(series.every_ms / 1000, 0)} s sample`, at: sc.at,
    format: (v) => number(v, 0), minStep: 1,
    lines: [{ name: 'launched', color: COLORS.launches, values: sc.launches },
      { name: 'terminated', color: COLORS.terminations, values: sc.terminations }],
  }));
  const body = document.querySelector('#rate-limits tbody');
  body.replaceChildren();
  if (series.rate_limits.length === 0) {
    const tr = html('tr');
    tr.appendChild(html('td', { colspan: 5, class: 'muted' }, 'no GitHub answer seen yet'));
    body.appendChild(tr);
  }
  for (const b of series.rate_limits) {
    const tr = html('tr', { 'data-bucket': b.resource });
    tr.appendChild(html('td', {}, b.resource));
    tr.appendChild(html('td', {}, number(b.remaining, 0)));
    tr.appendChild(html('td', {}, number(b.limit, 0)));
    const meter = el('svg', { class: 'meter', viewBox: '0 0 120 8' });
    const frac = b.limit > 0 ? b.remaining / b.limit : 0;
    meter.appendChild(el('rect', { class: 'bg', x: 0, y: 0, width: 120, height: 8 }));
    meter.appendChild(el('rect', { class: frac < 0.2 ? 'low' : 'fg', x: 0, y: 0, width: 120 * frac, height: 8 }));
    const td = html('td');
    td.appendChild(meter);
    tr.appendChild(td);
    tr.appendChild(html('td', {}, b.reset ? clock(b.reset) : ''));
    body.appendChild(tr);
  }
  const total = series.pools.reduce((a, p) => a + p.cost_total, 0);
  document.getElementById('summary').textContent =
    `${series.pools.length} pool${series.pools.length === 1 ? '' : 's'} · $${number(total, 2)} so far`;
}

function renderActions(actions) {
  const body = document.querySelector('#actions tbody');
  body.replaceChildren();
  for (const a of actions) {
    const tr = html('tr', { 'data-action-id': String(a.id) });
    tr.appendChild(html('td', {}, a.at ? new Date(a.at).toLocaleTimeString() : ''));
    tr.appendChild(html('td', {}, a.pool));
    tr.appendChild(html('td', {}, a.kind));
    tr.appendChild(html('td', {}, String(a.count)));
    tr.appendChild(html('td', {}, a.reason));
    // "ok" or "ok: <what was made>"; anything else is the error that stopped the action.
    tr.appendChild(html('td', { class: /^ok\b/.test(a.result) ? '' : 'error' }, a.result));
    body.appendChild(tr);
  }
  if (actions.length === 0) {
    const tr = html('tr');
    tr.appendChild(html('td', { colspan: 6, class: 'muted' }, 'no actions yet'));
    body.appendChild(tr);
  }
}

async function get(path) {
  const r = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

let polls = 0;
async function poll() {
  const updated = document.getElementById('updated');
  try {
    const [series, status, actions] = await Promise.all([get('/api/v1/series'), get('/api/v1/status'),
      get('/api/v1/actions?last=50')]);
    renderSeries(series, status);
    renderActions(actions.actions || actions);
    polls++;
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    updated.classList.remove('stale');
    document.body.dataset.polls = String(polls);
  } catch (e) {
    updated.textContent = `not updated: ${e.message}`;
    updated.classList.add('stale');
  }
  setTimeout(poll, POLL_MS);
}

poll();
