#!/bin/sh
# Packages ghscale for AWS Lambda's provided.al2023 runtime: build/lambda/ghscale-lambda.zip
# holding `bootstrap`, the release binary, every shared library it loads (from ldd), the
# dynamic loader itself and a CA bundle. `bootstrap` runs the binary through the bundled
# loader on the bundled libraries, so the package runs whatever glibc the runtime has.
#
#   deploy/aws/package-lambda.sh [--binary PATH] [--config FILE] [--out ZIP]
#
#   --binary PATH  package this ghscale binary instead of building the `release` preset
#   --config FILE  bundle FILE as ghscale.yaml (the function's default configuration)
#   --out ZIP      where to write the zip (default: build/lambda/ghscale-lambda.zip)
#
# The function's handler (_HANDLER) is `webhook` or `reconcile`; see
# src/app/lambda/lambda_config.h for the environment it reads.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
binary=""
config=""
out="$root/build/lambda/ghscale-lambda.zip"

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; binary=$2; shift 2 ;;
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "package-lambda.sh: unknown argument $1" >&2; usage ;;
  esac
done

if [ -z "$binary" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target ghscale)
  binary="$root/build/release/src/app/ghscale"
fi
[ -x "$binary" ] || { echo "package-lambda.sh: no executable at $binary" >&2; exit 1; }
if [ -n "$config" ] && [ ! -r "$config" ]; then
  echo "package-lambda.sh: cannot read $config" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/lib" "$stage/certs"
cp "$binary" "$stage/ghscale"

# ldd lines: "libx.so.1 => /path/libx.so.1 (0x...)" and the loader as "/lib64/ld-linux-x86-64.so.2 (0x...)".
loader=""
ldd "$binary" > "$stage/ldd.txt"
while read -r first second third _; do
  case "$first" in
    linux-vdso.so*|linux-gate.so*) continue ;;
  esac
  if [ "$second" = "=>" ]; then
    case "$third" in
      /*) cp -L "$third" "$stage/lib/$first" ;;
      *) echo "package-lambda.sh: $binary needs $first, which ldd cannot find" >&2; exit 1 ;;
    esac
  else
    case "$first" in
      /*ld-linux*|/*ld64*|/*ld.so*)
        loader=$(basename "$first")
        cp -L "$first" "$stage/lib/$loader"
        ;;
    esac
  fi
done < "$stage/ldd.txt"
rm "$stage/ldd.txt"
[ -n "$loader" ] || { echo "package-lambda.sh: ldd names no dynamic loader for $binary" >&2; exit 1; }
chmod 755 "$stage/lib/$loader"

# libcurl looks for the CA bundle where Debian keeps it; provided.al2023 keeps it elsewhere.
for ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
  if [ -r "$ca" ]; then cp -L "$ca" "$stage/certs/ca-certificates.crt"; break; fi
done

cat > "$stage/bootstrap" <<BOOTSTRAP
#!/bin/sh
# ghscale's Lambda custom runtime: the bundled dynamic loader runs the binary on the
# bundled libraries, so the runtime's own glibc does not matter.
here=\$(cd "\$(dirname "\$0")" && pwd)
if [ -z "\${CURL_CA_BUNDLE:-}" ] && [ -r "\$here/certs/ca-certificates.crt" ]; then
  CURL_CA_BUNDLE="\$here/certs/ca-certificates.crt"
  export CURL_CA_BUNDLE
fi
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/ghscale" lambda "\$@"
BOOTSTRAP
chmod 755 "$stage/bootstrap" "$stage/ghscale"
[ -z "$config" ] || cp "$config" "$stage/ghscale.yaml"

mkdir -p "$(dirname "$out")"
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
rm -f "$out"
if command -v zip >/dev/null 2>&1; then
  (cd "$stage" && zip -q -r -X "$out" .)
else
  # Python's zipfile keeps the files' modes (bootstrap and the loader stay executable).
  (cd "$stage" && python3 - "$out" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk("."):
        for f in sorted(files):
            path = os.path.join(base, f)
            z.write(path, os.path.relpath(path, "."))
PY
  )
fi
echo "$out"
