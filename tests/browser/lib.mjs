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
