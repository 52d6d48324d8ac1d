// The job the tests' workflows queue in the fake GitHub: "build" of a run in acme/app,
// runs-on self-hosted + linux.
#pragma once

#include <cstdint>
#include <string>

#include "sandbox/fake_github/fake_github.h"

namespace ghscale::testing {

inline fake_github::FakeJob build_job(std::int64_t run_id, std::string status = "queued") {
  fake_github::FakeJob job;
  job.run_id = run_id;
  job.repo = "acme/app";
  job.name = "build";
  job.labels = {"self-hosted", "linux"};
  job.status = std::move(status);
  return job;
}

}  // namespace ghscale::testing
