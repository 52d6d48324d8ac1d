#!/usr/bin/env bash
# A short libFuzzer run of one fuzz target from a fresh corpus in the build tree (the
# fuzzer adds to it; sources are read in place). Fails on any crash, leak or sanitizer
# report. The seeds come from one of:
#   fuzz_smoke.sh FUZZ_BINARY WORK_DIR webhook-examples DEFAULT_TESTDATA
#       the shared webhook examples, as fuzz_webhook.cc's input layout (needs node)
#   fuzz_smoke.sh FUZZ_BINARY WORK_DIR seeds SEED_DIR
#       a checked-in corpus, copied (tests/http/fuzz_corpus for fuzz_http_request)
set -euo pipefail
bin="$1"
work="$2"
kind="$3"
corpus="$work/corpus"
rm -rf "$corpus" && mkdir -p "$corpus"
case "$kind" in
  webhook-examples)
    testdata="${GHSCALE_TESTDATA:-$4}"
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
    ;;
  seeds)
    # A seed corpus that went missing must fail the run, not fuzz from nothing.
    seeds="$4"
    cp "$seeds"/* "$corpus"/
    echo "fuzz: $(ls "$corpus" | wc -l) seeds from $seeds"
    ;;
  *)
    echo "fuzz_smoke.sh: unknown seed kind: $kind (webhook-examples or seeds)" >&2
    exit 2
    ;;
esac
# 25 seconds whatever the target's speed; no single allocation may pass 64 MiB (the
# targets' limits are far below it, so a larger one is a limit not applied).
"$bin" -max_total_time=25 -max_len=65536 -malloc_limit_mb=64 -print_final_stats=1 "$corpus" 2>&1 | tail -n 20
