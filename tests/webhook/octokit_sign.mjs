// Independent reference for our signatures: npm @octokit/webhooks-methods, the library
// GitHub's own JavaScript tooling uses. Run by octokit_test.cc as
//   node octokit_sign.mjs <npm prefix> <cases.json>
// cases.json: [{secret, payload, ours, other_secrets}] with payload a UTF-8 string.
// Prints [{signature, verified, verified_with_fallback}] as JSON on stdout.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, casesFile] = process.argv.slice(2);
const pkgDir = path.join(prefix, "node_modules", "@octokit", "webhooks-methods");
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
// The package is ESM-only; resolve its entry point the way Node's exports map would.
const entry = pkg.exports?.["."]?.node?.import ?? pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main;
const { sign, verify, verifyWithFallback } = await import(pathToFileURL(path.join(pkgDir, entry)).href);

const cases = JSON.parse(readFileSync(casesFile, "utf8"));
const results = [];
for (const c of cases) {
  results.push({
    signature: await sign(c.secret, c.payload),
    verified: await verify(c.secret, c.payload, c.ours),
    verified_with_fallback: await verifyWithFallback(c.other_secrets[0], c.payload, c.ours, [c.secret]),
  });
}
process.stdout.write(JSON.stringify({ version: sign.VERSION, results }));
