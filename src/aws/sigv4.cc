#include "aws/sigv4.h"

#include <algorithm>
#include <utility>

#include "aws/encoding.h"
#include "aws/timestamp.h"

namespace ghscale::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
// Enough for a handful of credentials rotating across a date change; more means misuse.
constexpr size_t kMaxCachedKeys = 4;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// Headers a proxy or the transport may add, drop or rewrite; signing them would make
// the signature fragile for no security gain.
bool is_unsigned_header(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "user-agent" || lower_name == "x-amzn-trace-id" ||
         lower_name == "expect" || lower_name == "connection" || lower_name == "transfer-encoding";
}

struct CanonicalHeaders {
  std::string block;        // "name:value\n" per distinct name, sorted
  std::string signed_names; // "host;x-amz-date"
};

CanonicalHeaders canonicalize_headers(const std::vector<HttpHeader>& headers, std::string_view excluded) {
  struct Entry {
    std::string name;
    const std::string* value;
  };
  std::vector<Entry> entries;
  entries.reserve(headers.size());
  for (const auto& h : headers) {
    std::string name = lowercase(h.name);
    if (is_unsigned_header(name) || name == excluded) continue;
    entries.push_back(Entry{std::move(name), &h.value});
  }
  // Stable: repeated headers keep their order when joined with ','.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  CanonicalHeaders out;
  out.block.reserve(256);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].name == entries[i - 1].name) {
      out.block.back() = ',';
    } else {
      if (!out.signed_names.empty()) out.signed_names.push_back(';');
      out.signed_names += entries[i].name;
      out.block += entries[i].name;
      out.block.push_back(':');
    }
    out.block += canonical_header_value(*entries[i].value);
    out.block.push_back('\n');
  }
  return out;
}

std::string canonical_query(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& p : query) encoded.emplace_back(uri_encode(p.name), uri_encode(p.value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string build_canonical_request(const Request& request, bool normalize, const std::string& query,
                                    const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(request.method.size() + request.path.size() + query.size() + headers.block.size() +
              headers.signed_names.size() + payload_hash.size() + 16);
  out += request.method;
  out.push_back('\n');
  out += canonical_uri(request.path, normalize);
  out.push_back('\n');
  out += query;
  out.push_back('\n');
  out += headers.block;
  out.push_back('\n');
  out += headers.signed_names;
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string build_string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 64 + 3);
  out += kAlgorithm;
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  out += scope;
  out.push_back('\n');
  append_hex(out, sha256(canonical));
  return out;
}

Status check_signable(const Request& request, const Credentials& credentials) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return make_error(ErrorKind::kUnauthorized, "no AWS credentials to sign the request with");
  }
  if (request.header("host") == nullptr) {
    return make_error(ErrorKind::kInvalid, "request to sign has no host header");
  }
  return ok_status();
}

bool is_presign_param(std::string_view name) {
  return name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Date" ||
         name == "X-Amz-SignedHeaders" || name == "X-Amz-Expires" || name == "X-Amz-Security-Token" ||
         name == "X-Amz-Signature";
}

}  // namespace

Sha256Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret;
  const Sha256Digest k_date = hmac_sha256(k_secret, date);
  const Sha256Digest k_region = hmac_sha256(k_date, region);
  const Sha256Digest k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, kTerminator);
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return uri_encode(path, /*keep_slash=*/true);
  // RFC 3986 dot-segment removal, plus collapsing empty segments ("//"), as AWS does.
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    append_uri_encoded(out, segments[i]);
  }
  // A trailing slash is meaningful ("/example/"), unless the path ended in a dot segment.
  const bool trailing = path.back() == '/';
  if (trailing && !segments.empty()) out.push_back('/');
  return out;
}

std::string canonical_header_value(std::string_view value) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

Signer::Signer(SigningOptions options) : options_(std::move(options)) {}

Sha256Digest Signer::signing_key(const std::string& secret, std::string_view date) const {
  std::lock_guard lock(mu_);
  for (const auto& entry : key_cache_) {
    if (entry.date == date && entry.secret == secret) return entry.key;
  }
  const Sha256Digest key = derive_signing_key(secret, date, options_.region, options_.service);
  if (key_cache_.size() >= kMaxCachedKeys) key_cache_.erase(key_cache_.begin());
  key_cache_.push_back(CachedKey{secret, std::string(date), key});
  return key;
}

Status Signer::sign(Request& request, const Credentials& credentials, TimePoint now, SigningTrace* trace) const {
  if (Status s = check_signable(request, credentials); !s) return s;
  for (std::string_view name : {"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "x-amz-content-sha256"}) {
    request.remove_header(name);
  }
  const std::string amz_date = format_amz_date(now);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);
  const std::string payload_hash = request.payload_hash.empty() ? sha256_hex(request.body) : request.payload_hash;

  const bool has_token = !credentials.session_token.empty();
  if (has_token) request.headers.push_back(HttpHeader{"X-Amz-Security-Token", credentials.session_token});
  request.headers.push_back(HttpHeader{"X-Amz-Date", amz_date});
  if (options_.sign_body) request.headers.push_back(HttpHeader{"x-amz-content-sha256", payload_hash});

  const CanonicalHeaders headers =
      canonicalize_headers(request.headers, options_.omit_session_token ? "x-amz-security-token" : "");
  const std::string canonical =
      build_canonical_request(request, options_.normalize_path, canonical_query(request.query), headers, payload_hash);
  std::string scope;
  scope.reserve(date.size() + options_.region.size() + options_.service.size() + kTerminator.size() + 3);
  scope.append(date).append("/").append(options_.region).append("/").append(options_.service).append("/").append(kTerminator);
  std::string string_to_sign = build_string_to_sign(amz_date, scope, canonical);
  const std::string signature = hex(hmac_sha256(signing_key(credentials.secret_access_key, date), string_to_sign));

  std::string authorization;
  authorization.reserve(kAlgorithm.size() + credentials.access_key_id.size() + scope.size() +
                        headers.signed_names.size() + signature.size() + 48);
  authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials.access_key_id)
      .append("/")
      .append(scope)
      .append(", SignedHeaders=")
      .append(headers.signed_names)
      .append(", Signature=")
      .append(signature);
  request.headers.push_back(HttpHeader{"Authorization", std::move(authorization)});

  if (trace != nullptr) *trace = SigningTrace{canonical, std::move(string_to_sign), signature};
  return ok_status();
}

Status Signer::presign(Request& request, const Credentials& credentials, TimePoint now, std::chrono::seconds expires,
                       SigningTrace* trace) const {
  if (Status s = check_signable(request, credentials); !s) return s;
  // AWS accepts 1 second to 7 days.
  if (expires.count() < 1 || expires.count() > 7 * 24 * 3600) {
    return make_error(ErrorKind::kInvalid, "presigned URL expiry must be between 1 second and 7 days");
  }
  std::erase_if(request.query, [](const QueryParam& p) { return is_presign_param(p.name); });
  const std::string amz_date = format_amz_date(now);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);
  const std::string payload_hash = request.payload_hash.empty() ? sha256_hex(request.body) : request.payload_hash;
  const std::string scope =
      std::string(date) + "/" + options_.region + "/" + options_.service + "/" + std::string(kTerminator);

  const CanonicalHeaders headers = canonicalize_headers(request.headers, "");
  const bool has_token = !credentials.session_token.empty();
  request.query.push_back(QueryParam{"X-Amz-Algorithm", std::string(kAlgorithm)});
  request.query.push_back(QueryParam{"X-Amz-Credential", credentials.access_key_id + "/" + scope});
  request.query.push_back(QueryParam{"X-Amz-Date", amz_date});
  request.query.push_back(QueryParam{"X-Amz-SignedHeaders", headers.signed_names});
  request.query.push_back(QueryParam{"X-Amz-Expires", std::to_string(expires.count())});
  if (has_token && !options_.omit_session_token) {
    request.query.push_back(QueryParam{"X-Amz-Security-Token", credentials.session_token});
  }

  const std::string canonical =
      build_canonical_request(request, options_.normalize_path, canonical_query(request.query), headers, payload_hash);
  std::string string_to_sign = build_string_to_sign(amz_date, scope, canonical);
  std::string signature = hex(hmac_sha256(signing_key(credentials.secret_access_key, date), string_to_sign));

  if (has_token && options_.omit_session_token) {
    request.query.push_back(QueryParam{"X-Amz-Security-Token", credentials.session_token});
  }
  request.query.push_back(QueryParam{"X-Amz-Signature", signature});
  if (trace != nullptr) *trace = SigningTrace{canonical, std::move(string_to_sign), std::move(signature)};
  return ok_status();
}

}  // namespace ghscale::aws
