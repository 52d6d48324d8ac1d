#include "aws/endpoints.h"

#include <array>

#include "core/http_url.h"

namespace ghscale::aws {
namespace {

// From botocore's partitions.json (regionRegex "^(prefixes)\-\w+\-\d+$" and
// outputs.dnsSuffix / implicitGlobalRegion). Order matters: the more specific
// "us-gov" rule is tried before "us".
constexpr std::array<Partition, 3> kPartitions = {{
    {"aws-us-gov", "amazonaws.com", "us-gov", "us-gov-west-1"},
    {"aws-cn", "amazonaws.com.cn", "cn", "cn-northwest-1"},
    {"aws", "amazonaws.com", "us|eu|ap|sa|ca|me|af|il|mx", "us-east-1"},
}};

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "<word>-<digits>", \w+ being greedy but needing a final "-<digits>".
bool word_dash_digits(std::string_view rest) {
  const auto dash = rest.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= rest.size()) return false;
  for (std::size_t i = 0; i < dash; ++i) {
    if (!is_word_char(rest[i])) return false;
  }
  for (std::size_t i = dash + 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::span<const Partition> partitions() {
  return kPartitions;
}

bool region_matches(const Partition& partition, std::string_view region) {
  std::string_view prefixes = partition.region_prefixes;
  while (!prefixes.empty()) {
    const auto bar = prefixes.find('|');
    const std::string_view prefix = prefixes.substr(0, bar);
    prefixes = bar == std::string_view::npos ? std::string_view() : prefixes.substr(bar + 1);
    if (region.size() > prefix.size() + 1 && region.substr(0, prefix.size()) == prefix &&
        region[prefix.size()] == '-' && word_dash_digits(region.substr(prefix.size() + 1))) {
      return true;
    }
  }
  return false;
}

const Partition& partition_for(std::string_view region) {
  for (const auto& p : kPartitions) {
    if (region_matches(p, region)) return p;
  }
  return kPartitions.back();
}

Result<ResolvedRegion> resolve_region(const Environment& env, std::string_view explicit_region,
                                      const std::function<std::optional<std::string>()>& imds_region) {
  if (!explicit_region.empty()) return ResolvedRegion{std::string(explicit_region), "config"};
  if (auto r = env.get("AWS_REGION")) return ResolvedRegion{*r, "AWS_REGION"};
  if (auto r = env.get("AWS_DEFAULT_REGION")) return ResolvedRegion{*r, "AWS_DEFAULT_REGION"};
  const SharedFiles files = shared_files(env);
  if (auto profile = load_profile(files, files.profile_name)) {
    if (auto r = profile->get("region")) return ResolvedRegion{*r, "profile " + files.profile_name};
  }
  if (imds_region) {
    if (auto r = imds_region(); r && !r->empty()) return ResolvedRegion{*r, "instance metadata"};
  }
  return make_error(
      ErrorKind::kInvalid,
      "no AWS region: set provider.region in the config, AWS_REGION, or region in profile " + files.profile_name);
}

Result<ResolvedEndpoint> resolve_endpoint(Service service, std::string_view region, const Environment& env,
                                          std::string_view explicit_url) {
  // `shown` names where the URL came from in an error; the URL itself is not repeated, as
  // it may carry a credential.
  auto accept = [](std::string url, std::string source, const std::string& shown) -> Result<ResolvedEndpoint> {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (auto problem = http_url_problem(url)) return make_error(ErrorKind::kInvalid, shown + " " + *problem);
    return ResolvedEndpoint{std::move(url), std::move(source)};
  };
  if (!explicit_url.empty()) return accept(std::string(explicit_url), "config", "the endpoint URL (endpoint_url or --endpoint-url)");
  const ServiceInfo& info = service_info(service);
  if (!env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    const std::string name = "AWS_ENDPOINT_URL_" + std::string(info.env_suffix);
    if (auto url = env.get(name)) return accept(*url, name, name);
    if (auto url = env.get("AWS_ENDPOINT_URL")) return accept(*url, "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL");
  }
  if (region.empty()) return make_error(ErrorKind::kInvalid, "no AWS region to build an endpoint from");
  const Partition& p = partition_for(region);
  return ResolvedEndpoint{
      "https://" + std::string(info.endpoint_prefix) + "." + std::string(region) + "." + std::string(p.dns_suffix),
      "partition " + std::string(p.id)};
}

std::string url_authority(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  const auto end = rest.find_first_of("/?#");
  rest = rest.substr(0, end);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

}  // namespace ghscale::aws
