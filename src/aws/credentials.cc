#include "aws/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>

#include "aws/timestamp.h"
#include "core/log.h"

namespace ghscale::aws {
namespace {

namespace json = boost::json;

Error unauthorized(std::string message) {
  return make_error(ErrorKind::kUnauthorized, std::move(message));
}

void register_secrets(const Credentials& c) {
  log::add_secret(c.secret_access_key);
  log::add_secret(c.session_token);
}

class StaticProvider final : public CredentialProvider {
 public:
  StaticProvider(Credentials c, std::string source) : creds_{std::move(c), std::nullopt, std::move(source)} {
    register_secrets(creds_.credentials);
  }
  Result<ResolvedCredentials> resolve() override {
    if (creds_.credentials.access_key_id.empty() || creds_.credentials.secret_access_key.empty()) {
      return unauthorized("static credentials are empty");
    }
    return creds_;
  }
  std::string name() const override { return creds_.source; }

 private:
  const ResolvedCredentials creds_;
};

class EnvironmentProvider final : public CredentialProvider {
 public:
  explicit EnvironmentProvider(Environment env) : env_(std::move(env)) {}
  Result<ResolvedCredentials> resolve() override {
    auto id = env_.get("AWS_ACCESS_KEY_ID");
    auto secret = env_.get("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return unauthorized("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set");
    if (!id) return unauthorized("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (!secret) return unauthorized("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    ResolvedCredentials out{{*id, *secret, env_.get_or("AWS_SESSION_TOKEN", "")}, std::nullopt, "environment"};
    register_secrets(out.credentials);
    return out;
  }
  std::string name() const override { return "environment"; }

 private:
  const Environment env_;
};

class ChainProvider final : public CredentialProvider {
 public:
  explicit ChainProvider(std::vector<std::shared_ptr<CredentialProvider>> providers)
      : providers_(std::move(providers)) {}
  Result<ResolvedCredentials> resolve() override {
    std::string tried;
    for (const auto& p : providers_) {
      auto r = p->resolve();
      if (r.ok()) return r;
      if (!tried.empty()) tried += "; ";
      tried += p->name() + ": " + log::redact(r.error().message);
    }
    return unauthorized("no AWS credentials found (tried " + tried + ")");
  }
  std::string name() const override { return "chain"; }

 private:
  const std::vector<std::shared_ptr<CredentialProvider>> providers_;
};

}  // namespace

Result<ResolvedCredentials> parse_credentials_json(std::string_view body, std::string source) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return unauthorized(source + " answered with something that is not a JSON object");
  const json::object& o = v.as_object();
  auto str = [&](std::string_view key) -> std::string {
    const json::value* f = o.if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  ResolvedCredentials out;
  out.source = std::move(source);
  out.credentials.access_key_id = str("AccessKeyId");
  out.credentials.secret_access_key = str("SecretAccessKey");
  out.credentials.session_token = str("Token");
  if (out.credentials.session_token.empty()) out.credentials.session_token = str("SessionToken");
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    return unauthorized(out.source + " answered without AccessKeyId or SecretAccessKey");
  }
  if (const std::string expiration = str("Expiration"); !expiration.empty()) {
    auto t = parse_any_timestamp(expiration);
    if (!t.ok()) return unauthorized(out.source + " answered with a bad Expiration: " + t.error().message);
    out.expiration = *t;
  }
  register_secrets(out.credentials);
  return out;
}

Result<std::string> run_process(const std::string& command_line, Duration timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorKind::kRetryable, "pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error(ErrorKind::kRetryable, "fork failed");
  }
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execl("/bin/sh", "sh", "-c", command_line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
    if (out.size() > (1u << 20)) break;
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return make_error(ErrorKind::kRetryable, "credential_process timed out");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(ErrorKind::kUnauthorized,
                      "credential_process exited with status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  }
  return out;
}

CachingCredentialProvider::CachingCredentialProvider(std::shared_ptr<CredentialProvider> inner,
                                                     std::shared_ptr<Clock> clock, Duration refresh_before)
    : inner_(std::move(inner)), clock_(std::move(clock)), refresh_before_(refresh_before) {}

Result<ResolvedCredentials> CachingCredentialProvider::resolve() {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_->now();
  if (cached_ && (!cached_->expiration || now < *cached_->expiration - refresh_before_)) return *cached_;
  auto fresh = inner_->resolve();
  if (fresh.ok()) {
    cached_ = *fresh;
    return fresh;
  }
  if (cached_ && cached_->expiration && now < *cached_->expiration) {
    log::warn("aws credential refresh failed; using unexpired credentials",
              {{"source", cached_->source}, {"error", fresh.error().message}});
    return *cached_;
  }
  cached_.reset();
  return fresh;
}

void CachingCredentialProvider::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

std::shared_ptr<CredentialProvider> make_static_provider(Credentials credentials, std::string source) {
  return std::make_shared<StaticProvider>(std::move(credentials), std::move(source));
}

std::shared_ptr<CredentialProvider> make_environment_provider(const CredentialContext& ctx) {
  return std::make_shared<EnvironmentProvider>(ctx.env);
}

std::shared_ptr<CredentialProvider> make_chain_provider(std::vector<std::shared_ptr<CredentialProvider>> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

std::shared_ptr<CachingCredentialProvider> make_default_credential_chain(const CredentialContext& ctx) {
  auto chain = make_chain_provider({make_environment_provider(ctx), make_web_identity_provider(ctx),
                                    make_profile_provider(ctx), make_container_provider(ctx), make_imds_provider(ctx)});
  return std::make_shared<CachingCredentialProvider>(std::move(chain), ctx.clock);
}

}  // namespace ghscale::aws
