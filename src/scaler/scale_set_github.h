// The reconciler's GitHub with scale-set pools' runners routed to their scale set: a
// generate-jitconfig for a `demand: scale_set` pool (known by its scope and labels, which
// are unique among pools) is answered by the Actions service with a scale-set JIT config,
// so the runner joins the scale set and takes the jobs GitHub assigns to it. Every other
// call goes to the wrapped client unchanged: scale-set runners are listed, read and
// removed through the REST API like any other runner of the scope. Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "github/github_api.h"
#include "scaler/scale_set_listener.h"

namespace ghscale::scaler {

// Scope as the REST client names a pool's scope.
github::Scope github_scope_of(const config::PoolScope& scope);

std::shared_ptr<github::GitHubApi> route_scale_set_runners(std::shared_ptr<github::GitHubApi> inner,
                                                           std::vector<std::shared_ptr<ScaleSetListener>> listeners);

}  // namespace ghscale::scaler
