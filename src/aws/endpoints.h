// Region and endpoint resolution, the SDK way. Region: AWS_REGION, AWS_DEFAULT_REGION,
// the profile's "region", then (optionally) instance metadata. Endpoint: an explicit URL
// (the config's endpoint_url), AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the
// partition's rule "https://{prefix}.{region}.{dnsSuffix}". The partition rules are
// embedded (a test checks them against botocore's partitions.json). Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "aws/environment.h"
#include "aws/models/models.h"
#include "core/error.h"

namespace ghscale::aws {

struct Partition {
  std::string_view id;               // "aws", "aws-cn", "aws-us-gov"
  std::string_view dns_suffix;       // "amazonaws.com"
  std::string_view region_prefixes;  // '|'-separated first labels: "us|eu|ap|..."
  std::string_view default_region;   // the partition's global-endpoint region
};

std::span<const Partition> partitions();
// The partition whose region pattern ("<prefix>-<word>-<digits>") matches; "aws" when
// none does (the SDKs' fallback).
const Partition& partition_for(std::string_view region);
// True when the region has the shape "<prefix>-<word>-<digits>" for one of the prefixes.
bool region_matches(const Partition& partition, std::string_view region);

struct ResolvedRegion {
  std::string region;
  std::string source;  // "AWS_REGION", "profile default", "instance metadata", "config"
};

// explicit_region (from the config) wins. imds_region is asked last and may be empty.
Result<ResolvedRegion> resolve_region(const Environment& env, std::string_view explicit_region = {},
                                      const std::function<std::optional<std::string>()>& imds_region = {});

struct ResolvedEndpoint {
  std::string url;     // "https://ec2.us-east-1.amazonaws.com" or an override, no trailing '/'
  std::string source;  // "config", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL", "partition aws"
};

// kInvalid for an override that is not an http(s) URL. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// disables the environment overrides.
Result<ResolvedEndpoint> resolve_endpoint(Service service, std::string_view region, const Environment& env,
                                          std::string_view explicit_url = {});

// "host[:port]" of an http(s) URL, for the Host header; empty when malformed.
std::string url_authority(std::string_view url);

}  // namespace ghscale::aws
