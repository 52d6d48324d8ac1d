// Resolves a config SecretRef of any kind: env: and file: locally (config's resolver),
// ssm: through SSM GetParameter WithDecryption. A separate library (ghscale_aws_secrets)
// because aws itself must not depend on config. The resolved value is registered with
// log::add_secret; errors name the reference, never the value.
#pragma once

#include <string>

#include "aws/services/ssm.h"
#include "config/secret_ref.h"
#include "core/error.h"

namespace ghscale::aws {

// ssm may be null when no ssm: reference is expected; an ssm: reference then is kInvalid.
Result<std::string> resolve_secret(const config::SecretRef& ref, SsmClient* ssm);

}  // namespace ghscale::aws
