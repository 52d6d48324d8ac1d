#include "provider/aws/ssm_hand_over.h"

#include <algorithm>
#include <boost/json.hpp>

#include "aws/services/ssm.h"
#include "core/log.h"

namespace ghscale::provider {

namespace {

// An error about a write, without the secret even if the service echoed it.
Error scrubbed(Error e, std::string_view secret) {
  if (!secret.empty()) {
    for (auto at = e.message.find(secret); at != std::string::npos; at = e.message.find(secret, at)) {
      e.message.replace(at, secret.size(), "[REDACTED]");
    }
  }
  return e;
}

}  // namespace

SsmHandOver::SsmHandOver(SsmHandOverOptions options)
    : options_(std::move(options)), tokens_(std::max(1, options_.burst)), refilled_at_(options_.clock->now()) {}

std::string SsmHandOver::parameter_name(std::string_view instance_id) const {
  std::string name = options_.prefix;
  if (name.empty() || name.back() != '/') name += '/';
  return name + "runners/" + std::string(instance_id);
}

std::string SsmHandOver::encode(const Registration& r) {
  if (r.kind == Registration::Kind::kJitConfig) return r.secret;
  boost::json::array labels;
  for (const auto& l : r.labels) labels.emplace_back(l);
  boost::json::object doc{{"kind", "registration-token"}, {"url", r.url},
                          {"token", r.secret},           {"name", r.runner_name},
                          {"labels", labels},    {"runner_group", r.runner_group},
                          {"ephemeral", r.ephemeral}};
  return boost::json::serialize(doc);
}

void SsmHandOver::pace() {
  Duration wait{0};
  {
    std::lock_guard lock(mu_);
    const TimePoint now = options_.clock->now();
    const double rate = std::max(0.001, options_.writes_per_second);
    if (now > refilled_at_) {
      const double elapsed = std::chrono::duration<double>(now - refilled_at_).count();
      tokens_ = std::min<double>(std::max(1, options_.burst), tokens_ + elapsed * rate);
      refilled_at_ = now;
    }
    // Reserve a token even when none is left: the debt is the wait, so concurrent writers
    // queue up at the bucket's rate instead of all waking at once.
    tokens_ -= 1.0;
    if (tokens_ < 0) {
      wait = std::chrono::ceil<Duration>(std::chrono::duration<double>(-tokens_ / rate));
      waited_ += wait;
    }
  }
  if (wait.count() > 0) options_.sleeper(wait);
}

Status SsmHandOver::write(std::string_view instance_id, const Registration& registration) {
  if (registration.secret.empty()) return make_error(ErrorKind::kInvalid, "hand-over: empty registration secret");
  aws::SsmClient ssm(options_.ssm);
  aws::PutParameterRequest req;
  req.name = parameter_name(instance_id);
  req.value = encode(registration);
  log::add_secret(req.value);
  req.type = "SecureString";
  req.overwrite = true;
  req.key_id = options_.kms_key_id;
  req.description = "ghscale runner registration for " + std::string(instance_id);
  std::optional<Error> last;
  for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 0) {
      // The AwsClient already backed off within its attempts; this is the slower outer loop
      // for a throttling storm: base * 2^attempt, or what the service asked for.
      Duration backoff = options_.base_backoff * (1 << std::min(attempt - 1, 6));
      if (last && last->retry_after > backoff) backoff = last->retry_after;
      {
        std::lock_guard lock(mu_);
        waited_ += backoff;
      }
      options_.sleeper(backoff);
    }
    pace();
    auto put = ssm.put_parameter(req);
    if (put.ok()) return ok_status();
    last = scrubbed(put.error(), req.value);
    if (!last->retryable()) break;
  }
  Error e = *last;
  e.message = "PutParameter " + req.name + ": " + e.message;
  return e;
}

Status SsmHandOver::remove(std::string_view instance_id) {
  aws::SsmClient ssm(options_.ssm);
  const std::string name = parameter_name(instance_id);
  Status st = ssm.delete_parameter(name);
  if (st.ok() || st.error().kind == ErrorKind::kNotFound) return ok_status();
  Error e = st.error();
  e.message = "DeleteParameter " + name + ": " + e.message;
  return e;
}

Duration SsmHandOver::waited() const {
  std::lock_guard lock(mu_);
  return waited_;
}

}  // namespace ghscale::provider
