// A Provider whose instances live in a simulated cloud served by another process over
// loopback HTTP (wire.h): what `provider: {type: sim, endpoint_url: ...}` builds. Every
// call has a deadline; a transport failure is kRetryable, like a cloud API's.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "provider/provider.h"

namespace ghscale::http {
class Client;
}

namespace ghscale::provider {

struct RemoteProviderOptions {
  std::string endpoint_url;  // http://127.0.0.1:PORT
  std::string process;       // sent as X-Ghscale-Process, e.g. "host:pid"
  Duration timeout = std::chrono::seconds(10);
  std::shared_ptr<http::Client> client;  // null = a curl client
};

class RemoteProvider final : public Provider {
 public:
  explicit RemoteProvider(RemoteProviderOptions options);
  ~RemoteProvider() override;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

 private:
  Result<std::string> call(std::string method, std::string path, std::string body);
  RemoteProviderOptions options_;
};

}  // namespace ghscale::provider
