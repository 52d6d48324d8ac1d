// Structured logging: one JSON object a line (the default, for machines) or human text.
// Every message and field value passes through redaction, so a secret that reaches a log
// call by mistake still never reaches the output. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace ghscale::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kJson, kText };

std::optional<Level> parse_level(std::string_view text);
std::optional<Format> parse_format(std::string_view text);

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const char* v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
  std::string_view key;
  std::string value;
  bool quoted;
};

// Where log lines go: stderr unless a file path is given. Safe to call again.
void init(Format format, Level level, const std::string& file_path = {});
void set_level(Level level);
bool enabled(Level level);

// Registers a long-lived secret value (a resolved webhook secret, PAT, App key): any later
// log output containing it shows "[REDACTED]" instead, for the process life. Values
// shorter than 4 bytes are ignored. The set is bounded: past kMaxLongLivedSecrets distinct
// values, further ones are kept like ephemeral ones without expiry (among the
// kMaxRecentSecrets most recent), so per-runner credentials belong in
// add_ephemeral_secret. O(1); a log line's cost does not depend on how many are held.
void add_secret(std::string_view secret);

// Registers a short-lived secret (a JIT config, a registration or installation token):
// masked until `ttl` has passed or until it is the oldest of more than kMaxRecentSecrets
// recent values. Registering it again refreshes it; a long-lived value stays long-lived.
void add_ephemeral_secret(std::string_view secret, std::chrono::milliseconds ttl);

inline constexpr std::size_t kMaxLongLivedSecrets = 1024;
inline constexpr std::size_t kMaxRecentSecrets = 4096;

struct SecretCounts {
  std::size_t long_lived = 0;
  std::size_t recent = 0;
};
// How many secret values are held now, for tests and diagnostics.
SecretCounts secret_counts();

// Removes known secret values and well-known token shapes (GitHub tokens, PEM private
// keys, Bearer/token authorization values) from text. Used by logs and error messages.
std::string redact(std::string_view text);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kError, m, f); }

// JSON string escaping, shared with the other hand-written JSON of the project.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ghscale::log
