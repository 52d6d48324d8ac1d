#!/usr/bin/env bash
# Copies deploy/runner/bootstrap.sh into the Runners template's user data.
# SAM cannot read a file into a template, so the template carries the script verbatim between
# its BEGIN/END lines; run this after changing bootstrap.sh (the template test fails until then).
#   deploy/aws/render-user-data.sh [--check]   --check: exit 1 when the copy is stale, change nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../runner/bootstrap.sh"
template="$here/runners/template.yaml"
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "render-user-data.sh: unknown option $1" >&2; exit 2 ;;
esac
[ -f "$script" ] || { echo "render-user-data.sh: $script is missing" >&2; exit 1; }

begin='# BEGIN deploy/runner/bootstrap.sh'
end='# END deploy/runner/bootstrap.sh'
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# The block scalar sits two spaces deeper than its "- |" line, which sits at the BEGIN line's
# indentation. Blank lines stay empty so no trailing spaces appear.
awk -v script="$script" -v begin="$begin" -v end="$end" '
  function indent_of(line) { match(line, /^ */); return substr(line, 1, RLENGTH) }
  index($0, begin) && !inside {
    print; pad = indent_of($0); print pad "- |"
    while ((getline l < script) > 0) { if (l == "") print ""; else print pad "  " l }
    inside = 1; found = 1; next
  }
  inside && index($0, end) { inside = 0; print; next }
  inside { next }
  { print }
  END { if (!found || inside) exit 3 }
' "$template" >"$out" || { echo "render-user-data.sh: BEGIN/END lines not found in $template" >&2; exit 1; }

if cmp -s "$out" "$template"; then
  exit 0
fi
if ((check)); then
  echo "render-user-data.sh: $template does not carry the current bootstrap.sh; run deploy/aws/render-user-data.sh" >&2
  exit 1
fi
cat "$out" >"$template"
echo "render-user-data.sh: updated $template"
