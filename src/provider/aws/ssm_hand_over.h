// Hands a runner's registration to its instance through SSM Parameter Store, the only
// path a registration secret takes: the daemon writes it, the instance's bootstrap reads
// and deletes it, and the daemon deletes what is left when it terminates the instance.
//
// Parameter: `<prefix>/runners/<instance-id>`, type SecureString (the account's default
// KMS key unless one is given), overwritten by a second hand-over. Its value:
// - JIT config (ephemeral pools): the encoded JIT config exactly as GitHub returned it; the
//   bootstrap runs `run.sh --jitconfig VALUE`.
// - Registration token (non-ephemeral pools): one line of JSON, always starting with '{':
//     {"kind":"registration-token","url":"https://github.com/ORG","token":"...",
//      "name":"ghscale-POOL-i-...","labels":["self-hosted","linux","x64"],"runner_group":"Default",
//      "ephemeral":false}
//   for `config.sh --unattended --url URL --token TOKEN --name NAME --labels LABELS
//   --runnergroup GROUP [--ephemeral]` (labels comma-joined), then `run.sh`;
//   deploy/runner/bootstrap.sh reads it.
//   A value starting with '{' is this document; anything else is a JIT config.
//
// Writes are paced by a token bucket shared by every pool of a region (Parameter Store's
// throughput is per account and region) and retried on throttling and 5xx beyond the
// AwsClient's own attempts. The secret is registered with the logger's redaction and is
// never put in an error message. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "aws/aws_client.h"
#include "core/clock.h"
#include "core/error.h"
#include "provider/provider.h"

namespace ghscale::provider {

struct SsmHandOverOptions {
  std::shared_ptr<aws::AwsClient> ssm;  // required
  std::string prefix = "/ghscale";      // ProviderConfig::ssm_prefix
  std::string kms_key_id;               // empty = the account's default aws/ssm key
  double writes_per_second = 3.0;       // PutParameter pacing
  int burst = 3;
  int max_attempts = 5;  // whole PutParameter calls, each with the AwsClient's own retries
  Duration base_backoff = std::chrono::seconds(1);
  std::shared_ptr<Clock> clock = system_clock();
  aws::Sleeper sleeper = aws::real_sleeper();
};

class SsmHandOver {
 public:
  explicit SsmHandOver(SsmHandOverOptions options);

  // "/ghscale/runners/i-0123..." (a prefix ending in '/' is not doubled).
  std::string parameter_name(std::string_view instance_id) const;
  // The parameter's value for a registration (format above).
  static std::string encode(const Registration& registration);

  Status write(std::string_view instance_id, const Registration& registration);
  // Deletes the instance's parameter; a parameter already gone (read by the bootstrap) is ok.
  Status remove(std::string_view instance_id);

  // For tests: how long pacing and backoff have made writers wait.
  Duration waited() const;

 private:
  // Blocks (through the sleeper) until the bucket has a token, then takes it.
  void pace();

  const SsmHandOverOptions options_;
  mutable std::mutex mu_;
  double tokens_;          // guarded by mu_
  TimePoint refilled_at_;  // guarded by mu_
  Duration waited_{0};     // guarded by mu_
};

}  // namespace ghscale::provider
