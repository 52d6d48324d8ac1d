// The GitHub simulator behind github::GitHubApi, in process: what the daemon's Reconciler
// calls when `ghscale simulate` runs it on virtual time (as leveldb's memenv is an Env).
// Every call is counted by the simulator as GitHub would count it (a runner list that has
// not changed since the caller's last one is a 304: no quota). Thread-safe.
#pragma once

#include <memory>

#include "github/github_api.h"
#include "sandbox/github_sim.h"

namespace ghscale::sandbox {

std::shared_ptr<github::GitHubApi> make_sim_github_api(std::shared_ptr<GitHubSim> sim);

}  // namespace ghscale::sandbox
