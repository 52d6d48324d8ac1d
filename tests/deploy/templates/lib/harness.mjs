// A small test harness for the template tests: finds the npm tools where scripts/setup puts
// them, skips visibly (exit 77, ctest's SKIP_RETURN_CODE) when they are missing, and prints
// one line per check plus the "N passed, N failed" summary.
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const kSkip = 77;
export const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const npmPrefix = process.env.GHSCALE_NPM_PREFIX || path.join(sourceDir, 'build', 'npm');

const requireFromPrefix = createRequire(path.join(npmPrefix, 'node_modules', '.resolve-from-here.js'));

// require()s an npm package from the prefix, or skips the whole test when it is absent.
export function requirePackage(name) {
  try {
    return requireFromPrefix(name);
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    skip(`npm package ${name} not found under ${npmPrefix}/node_modules (run scripts/setup)`);
  }
}

export function resolvePackage(name) {
  try {
    return requireFromPrefix.resolve(name);
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    skip(`npm package ${name} not found under ${npmPrefix}/node_modules (run scripts/setup)`);
  }
}

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(kSkip);
}

export function readSource(relative) {
  return fs.readFileSync(path.join(sourceDir, relative), 'utf8');
}

const results = [];

// Runs one named check; a thrown error (or a rejected promise) fails it.
export async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n    ${String(e && e.message ? e.message : e).split('\n').join('\n    ')}`);
  }
}

export function finish() {
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}
