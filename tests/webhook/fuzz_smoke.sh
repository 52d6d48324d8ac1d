#!/usr/bin/env bash
# A short libFuzzer run of fuzz_webhook, seeded from the shared webhook examples (read in
# place, written as seeds into the build tree). Fails on any crash, leak or sanitizer report.
#   fuzz_smoke.sh FUZZ_BINARY WORK_DIR DEFAULT_TESTDATA
set -euo pipefail
bin="$1"
work="$2"
testdata="${GHSCALE_TESTDATA:-$3}"
corpus="$work/corpus"
rm -rf "$corpus" && mkdir -p "$corpus"
examples="$testdata/github/webhook-examples.json"
if [ -f "$examples" ] && command -v node >/dev/null; then
  node - "$examples" "$corpus" <<'JS'
const fs = require("fs");
const [examples, corpus] = process.argv.slice(2);
let n = 0;
for (const group of JSON.parse(fs.readFileSync(examples, "utf8"))) {
  for (const ex of group.examples || []) {
    const body = JSON.stringify(ex);
    // Input layout of fuzz_webhook.cc: a mode byte, a header line, then the body.
    for (const mode of [1, 5]) {
      fs.writeFileSync(`${corpus}/seed-${n++}`, Buffer.concat([Buffer.from([mode]), Buffer.from("\n" + body)]));
    }
  }
}
console.log(`fuzz: ${n} seeds from ${examples}`);
JS
else
  echo "fuzz: shared testdata or node absent; fuzzing without a seed corpus"
fi
"$bin" -runs=100000 -max_total_time=30 -max_len=65536 -print_final_stats=1 "$corpus" 2>&1 | tail -n 20
