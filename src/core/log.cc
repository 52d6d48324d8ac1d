#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "core/secret_set.h"

namespace ghscale::log {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

struct State {
  std::shared_mutex mu;
  std::shared_ptr<spdlog::logger> logger;  // guarded by mu
  // Its own lock: adding a secret is O(1) under the exclusive lock, and a log line only
  // ever shares it, so no log call waits on more than one insertion.
  std::shared_mutex secrets_mu;
  SecretSet secrets{SecretSet::Limits{kMaxLongLivedSecrets, kMaxRecentSecrets}};  // guarded by secrets_mu
  std::atomic<bool> warned_long_lived_full{false};
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  std::atomic<Format> format{Format::kJson};
};

State& state() {
  static State s;
  return s;
}

std::shared_ptr<spdlog::logger> logger_or_default() {
  State& s = state();
  {
    std::shared_lock lock(s.mu);
    if (s.logger) return s.logger;
  }
  std::unique_lock lock(s.mu);
  if (!s.logger) {
    s.logger = std::make_shared<spdlog::logger>("ghscale", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    s.logger->set_pattern("%v");
    s.logger->set_level(spdlog::level::trace);
  }
  return s.logger;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == '+' || c == '=';
}

// Replaces the run of token characters starting at `from` with the marker.
std::size_t mask_token(std::string& s, std::size_t from) {
  std::size_t end = from;
  while (end < s.size() && is_token_char(s[end])) ++end;
  if (end == from) return from;
  s.replace(from, end - from, kRedacted);
  return from + kRedacted.size();
}

void mask_prefixed_tokens(std::string& s) {
  static constexpr std::string_view kPrefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"};
  for (std::string_view p : kPrefixes) {
    std::size_t pos = 0;
    while ((pos = s.find(p, pos)) != std::string::npos) {
      bool at_boundary = pos == 0 || !is_token_char(s[pos - 1]);
      std::size_t tail = pos + p.size();
      std::size_t n = 0;
      while (tail + n < s.size() && is_token_char(s[tail + n])) ++n;
      if (at_boundary && n >= 16) {
        pos = mask_token(s, pos);
      } else {
        pos = tail;
      }
    }
  }
}

void mask_after_keyword(std::string& s, std::string_view keyword) {
  std::size_t pos = 0;
  while ((pos = s.find(keyword, pos)) != std::string::npos) {
    std::size_t start = pos + keyword.size();
    while (start < s.size() && s[start] == ' ') ++start;
    pos = mask_token(s, start);
    if (pos == start) pos = start + 1;
  }
}

void mask_pem(std::string& s) {
  std::size_t pos = 0;
  while ((pos = s.find("-----BEGIN", pos)) != std::string::npos) {
    std::size_t header_end = s.find("-----", pos + 10);
    if (header_end == std::string::npos) break;
    std::string_view header(s.data() + pos, header_end - pos);
    if (header.find("PRIVATE KEY") == std::string_view::npos) {
      pos = header_end + 5;
      continue;
    }
    std::size_t end = s.find("-----END", header_end);
    std::size_t stop = end == std::string::npos ? s.size() : s.find("-----", end + 8);
    stop = stop == std::string::npos ? s.size() : stop + 5;
    s.replace(pos, stop - pos, kRedacted);
    pos += kRedacted.size();
  }
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "json") return Format::kJson;
  if (text == "text") return Format::kText;
  return std::nullopt;
}

void init(Format format, Level level, const std::string& file_path) {
  State& s = state();
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (file_path.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file_path);
  }
  auto logger = std::make_shared<spdlog::logger>("ghscale", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  std::unique_lock lock(s.mu);
  s.logger = std::move(logger);
  s.format = format;
  s.level = static_cast<int>(level);
}

void set_level(Level level) { state().level = static_cast<int>(level); }

bool enabled(Level level) { return static_cast<int>(level) >= state().level.load(); }

void add_secret(std::string_view secret) {
  State& s = state();
  bool kept_for_life;
  {
    std::unique_lock lock(s.secrets_mu);
    kept_for_life = s.secrets.add_long_lived(secret, SecretSet::Clock::now());
  }
  // Outside the lock: warn() redacts, which takes it shared.
  if (!kept_for_life && !s.warned_long_lived_full.exchange(true)) {
    warn("log: the long-lived secret budget is full; further secrets are masked while among the most recent",
         {{"long_lived", static_cast<std::uint64_t>(kMaxLongLivedSecrets)},
          {"recent", static_cast<std::uint64_t>(kMaxRecentSecrets)}});
  }
}

void add_ephemeral_secret(std::string_view secret, std::chrono::milliseconds ttl) {
  State& s = state();
  std::unique_lock lock(s.secrets_mu);
  s.secrets.add_ephemeral(secret, ttl, SecretSet::Clock::now());
}

SecretCounts secret_counts() {
  State& s = state();
  std::shared_lock lock(s.secrets_mu);
  return SecretCounts{s.secrets.long_lived_count(), s.secrets.recent_count()};
}

std::string redact(std::string_view text) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  {
    State& s = state();
    std::shared_lock lock(s.secrets_mu);
    ranges = s.secrets.find(text, SecretSet::Clock::now());
  }
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (const auto& [begin, end] : ranges) {
    out.append(text.substr(copied, begin - copied));
    out.append(kRedacted);
    copied = end;
  }
  out.append(text.substr(copied));
  mask_pem(out);
  mask_prefixed_tokens(out);
  mask_after_keyword(out, "Bearer ");
  mask_after_keyword(out, "bearer ");
  mask_after_keyword(out, "token ");
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  State& s = state();
  std::string line;
  line.reserve(128);
  if (s.format.load() == Format::kJson) {
    line += "{\"ts\":\"";
    line += timestamp();
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":";
    append_json_string(line, redact(message));
    for (const auto& f : fields) {
      line += ',';
      append_json_string(line, f.key);
      line += ':';
      if (f.quoted) {
        append_json_string(line, redact(f.value));
      } else {
        line += f.value;
      }
    }
    line += '}';
  } else {
    line += timestamp();
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += redact(message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.quoted ? redact(f.value) : f.value;
    }
  }
  auto logger = logger_or_default();
  logger->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace ghscale::log
