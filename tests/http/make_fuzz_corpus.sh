#!/usr/bin/env bash
# Writes tests/http/fuzz_corpus/: raw HTTP requests, the seeds of fuzz_http_request and the
# cases of request_reader_test. Each file is named EXPECTED--what, EXPECTED being what
# parse_requests() makes of it under the fuzz limits (fuzz_limits.h: 4 KiB header, 16 KiB
# body): `ok` per request served, then `400`, `413`, `431` or `503` for a refusal, or `cut`
# when the bytes end within a request; joined with `+`. Signed deliveries carry a valid
# X-Hub-Signature-256 for the fuzz target's secret, so its handler records them.
# The files are checked in; run this again (it needs openssl and jq) after changing a case:
#   tests/http/make_fuzz_corpus.sh
set -euo pipefail
out="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fuzz_corpus"
secret="fuzz-secret"  # fuzz_http_request.cc's kSecret
rm -rf "$out" && mkdir -p "$out"

put() { printf '%s' "${2//|/}" > "$out/$1"; }  # drops the `|` markers (never in a case)
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= /sha256=/'; }
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

nl=$'\r\n'
body='{"action":"queued","workflow_job":{"id":4242,"run_id":77,"run_attempt":1,"status":"queued","conclusion":null,"labels":["self-hosted","linux","x64"],"runner_id":null,"runner_name":null,"runner_group_id":null,"runner_group_name":null,"workflow_name":"CI","name":"build","created_at":"2026-11-28T10:00:00Z","started_at":null,"completed_at":null},"repository":{"full_name":"acme/app","owner":{"login":"acme"}},"installation":{"id":5}}'
form="payload=$(printf '%s' "$body" | jq -sRr @uri)"
len=${#body}

# POST /webhook header lines before the framing ones. Printed with a trailing `|` that
# the caller drops: command substitution would eat the final line feed.
delivery() {  # delivery DELIVERY_ID SIGNATURE [CONTENT_TYPE]
  printf 'POST /webhook HTTP/1.1\r\nHost: ghscale.example\r\nUser-Agent: GitHub-Hookshot/abc\r\n'
  printf 'Content-Type: %s\r\nX-GitHub-Event: workflow_job\r\nX-GitHub-Delivery: %s\r\n' "${3:-application/json}" "$1"
  printf 'X-Hub-Signature-256: %s\r\n|' "$2"
}
sig="$(sign "$body")"
get="GET /healthz HTTP/1.1${nl}Host: x${nl}${nl}"
# The body in three chunks.
chunked_body="$(printf '%x' 256)${nl}${body:0:256}${nl}$(printf '%x' $((len - 256)))${nl}${body:256}${nl}0${nl}${nl}"

# Deliveries as GitHub sends them.
put "ok--signed_json_content_length" "$(delivery d-1 "$sig")Content-Length: $len${nl}${nl}$body"
put "ok--signed_json_chunked" "$(delivery d-2 "$sig")Transfer-Encoding: chunked${nl}${nl}$chunked_body"
put "ok--signed_form" "$(delivery d-3 "$(sign "$form")" application/x-www-form-urlencoded)Content-Length: ${#form}${nl}${nl}$form"
put "ok--expect_continue" "$(delivery d-4 "$sig")Expect: 100-continue${nl}Content-Length: $len${nl}${nl}$body"
put "ok--unsigned_delivery" "$(delivery d-5 "sha256=$(repeat 0 64)")Content-Length: $len${nl}${nl}$body"
put "ok--te_chunked_mixed_case" "$(delivery d-6 "$sig")Transfer-Encoding:  Chunked ${nl}${nl}$chunked_body"
put "ok--empty_chunked_body" "POST /webhook HTTP/1.1${nl}Host: x${nl}Transfer-Encoding: chunked${nl}${nl}0${nl}${nl}"

# Chunk extensions and trailers (extensions are bounded, trailers refused).
put "ok--chunk_extensions" "$(delivery d-7 "$sig")Transfer-Encoding: chunked${nl}${nl}$(printf '%x' "$len");name=value;x=\"q\"${nl}$body${nl}0;last${nl}${nl}"
put "400--chunk_extension_too_long" "$(delivery d-8 "$sig")Transfer-Encoding: chunked${nl}${nl}5;name=$(repeat x 300)${nl}hello${nl}0${nl}${nl}"
put "400--chunk_header_never_ends" "$(delivery d-9 "$sig")Transfer-Encoding: chunked${nl}${nl}1;$(repeat e 13000)"
put "400--trailer_field" "$(delivery d-10 "$sig")Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}0${nl}X-Hub-Signature-256: $sig${nl}${nl}"
trailers=""
while [ ${#trailers} -lt 13000 ]; do trailers+="X-Pad: $(repeat p 100)${nl}"; done
put "400--trailer_section_too_large" "$(delivery d-11 "$sig")Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}0${nl}$trailers"
put "400--bad_chunk_size" "POST /webhook HTTP/1.1${nl}Host: x${nl}Transfer-Encoding: chunked${nl}${nl}zz${nl}hello${nl}0${nl}${nl}"
put "413--chunk_over_body_limit" "POST /webhook HTTP/1.1${nl}Host: x${nl}Transfer-Encoding: chunked${nl}${nl}5000${nl}hello"
put "cut--chunked_without_last_chunk" "POST /webhook HTTP/1.1${nl}Host: x${nl}Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}"

# Framing that cannot be trusted: only a single chunked, never with Content-Length, and
# Content-Length values that disagree (identical repeats are one length: RFC 9112 6.3).
post="POST /webhook HTTP/1.1${nl}Host: x${nl}"
put "400--te_gzip" "$(delivery d-12 "$sig")Transfer-Encoding: gzip${nl}${nl}$body"
put "400--te_gzip_chunked" "${post}Transfer-Encoding: gzip, chunked${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--te_chunked_chunked" "${post}Transfer-Encoding: chunked, chunked${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--te_identity" "${post}Transfer-Encoding: identity${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--te_twice" "${post}Transfer-Encoding: chunked${nl}Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--te_then_content_length" "${post}Transfer-Encoding: chunked${nl}Content-Length: 5${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--content_length_then_te" "${post}Content-Length: 5${nl}Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "400--te_chunked_http10" "POST /webhook HTTP/1.0${nl}Transfer-Encoding: chunked${nl}${nl}5${nl}hello${nl}0${nl}${nl}"
put "ok--duplicate_content_length_same_value" "${post}Content-Length: 5${nl}Content-Length: 5${nl}${nl}hello"
put "400--conflicting_content_length" "${post}Content-Length: 5${nl}Content-Length: 6${nl}${nl}hello!"
put "ok--content_length_list_same_value" "${post}Content-Length: 5, 5${nl}${nl}hello"
put "400--content_length_negative" "${post}Content-Length: -1${nl}${nl}hello"
put "400--content_length_plus_sign" "${post}Content-Length: +5${nl}${nl}hello"

# Sizes (fuzz limits: 4 KiB header, 16 KiB body).
put "413--content_length_huge" "${post}Content-Length: 99999999999${nl}${nl}"
put "413--content_length_over_body_limit" "${post}Content-Length: 20000${nl}${nl}$(repeat b 100)"
put "431--huge_header_line" "GET / HTTP/1.1${nl}Host: x${nl}X-Big: $(repeat b 5000)${nl}${nl}"
put "431--huge_target" "GET /$(repeat a 5000) HTTP/1.1${nl}Host: x${nl}${nl}"
# Beast 1.81 counts its header limit from where parsing resumes: a header of many short
# lines that arrives in pieces may pass the limit (never twice it, plus the request line).
many=""
for i in $(seq 400); do many+="X-H$i: v${nl}"; done
put "ok--many_header_lines_past_the_limit" "GET / HTTP/1.1${nl}${many}${nl}"
for i in $(seq 401 900); do many+="X-H$i: v${nl}"; done
put "431--many_header_lines_past_twice_the_limit" "GET / HTTP/1.1${nl}${many}${nl}"
put "cut--truncated_body" "${post}Content-Length: 100${nl}${nl}only ten.."
put "cut--truncated_header" "${post}X-GitHub-Event: workflow_"

# Line syntax.
put "ok--obs_fold" "GET / HTTP/1.1${nl}Host: x${nl}X-Folded: first${nl} second${nl}${nl}"
put "400--bare_lf" $'GET / HTTP/1.1\nHost: x\n\n'
put "400--space_before_colon" "GET / HTTP/1.1${nl}Host : x${nl}${nl}"
put "400--nul_in_header_value" "GET / HTTP/1.1${nl}Host: x$(printf '\001')y${nl}${nl}"
put "400--double_space_in_request_line" "GET  / HTTP/1.1${nl}Host: x${nl}${nl}"
put "400--leading_empty_line" "${nl}${get}"

# Other protocols.
put "400--http09_request_line" "GET /${nl}"
put "400--http09_version" "GET /healthz HTTP/0.9${nl}${nl}"
put "400--http2_preface" "PRI * HTTP/2.0${nl}${nl}SM${nl}${nl}"
printf '\026\003\001\002\000\001\000\001\374\003\003' > "$out/400--tls_client_hello"

# Methods and targets are the handler's business: these are read whole.
put "ok--head" "HEAD /healthz HTTP/1.1${nl}Host: x${nl}${nl}"
put "ok--unknown_method" "BREW /webhook HTTP/1.1${nl}Host: x${nl}${nl}"
put "ok--connect_authority_form" "CONNECT example.com:443 HTTP/1.1${nl}Host: example.com:443${nl}${nl}"
put "ok--absolute_form_target" "GET http://evil.example/healthz HTTP/1.1${nl}Host: x${nl}${nl}"
put "ok--dot_segments_and_escapes" "GET /../../etc/passwd%00%ff HTTP/1.1${nl}Host: x${nl}${nl}"
put "ok--options_asterisk" "OPTIONS * HTTP/1.1${nl}Host: x${nl}${nl}"

# Pipelining and the end of a connection.
put "ok+ok--pipelined_gets" "${get}${get}"
put "ok+ok--pipelined_delivery_and_get" "$(delivery d-13 "$sig")Content-Length: $len${nl}${nl}$body${get}"
put "ok+400--pipelined_then_te_gzip" "${get}${post}Transfer-Encoding: gzip${nl}${nl}hello"
put "ok+cut--pipelined_then_truncated" "${get}${post}Content-Length: 10${nl}${nl}hello"
put "ok--connection_close_ends_the_connection" "GET / HTTP/1.1${nl}Host: x${nl}Connection: close${nl}${nl}${get}"
put "ok--http10_ends_the_connection" "GET / HTTP/1.0${nl}${nl}${get}"
put "ok+ok--http10_keep_alive" "GET / HTTP/1.0${nl}Connection: keep-alive${nl}${nl}${get}"
echo "wrote $(ls "$out" | wc -l) files to $out"
