// The REST copies of the fake service's jobs: GitHub lists a job assigned to a scale set
// in its REST API like any other job, so a client that also sweeps that API meets each job
// twice, under the service's request id and under the REST job id.
#include "sandbox/fake_actions/state.h"

namespace ghscale::fake_actions {
namespace {

// The service's results as the REST API spells conclusions.
std::string conclusion_of(const std::string& result) {
  if (result == "succeeded") return "success";
  if (result == "failed") return "failure";
  if (result == "canceled") return "cancelled";
  return result;
}

}  // namespace

void FakeActions::State::mirror_new_job_locked(Job& j) {
  if (!mirror) return;
  const FakeJobSpec& spec = j.job.spec;
  auto [run, fresh] = rest_runs.try_emplace({spec.repository, spec.workflow_run_id});
  if (fresh) {
    fake_github::FakeRun r;
    r.repo = spec.repository;
    r.status = "queued";
    r.created_at = j.queue_time;
    run->second.id = mirror->add_run(std::move(r));
  }
  run->second.jobs.push_back(j.job.request_id);
  fake_github::FakeJob rest;
  rest.run_id = run->second.id;
  rest.repo = spec.repository;
  rest.name = spec.display_name;
  rest.status = "queued";
  rest.labels = requested_labels(spec);
  rest.created_at = j.queue_time;
  j.job.rest_run_id = run->second.id;
  j.job.rest_job_id = mirror->add_job(std::move(rest));
  mirror_job_locked(j);  // the run may have been in progress with other jobs
}

void FakeActions::State::mirror_job_locked(const Job& j) {
  if (!mirror || j.job.rest_job_id == 0) return;
  switch (j.job.state) {
    case JobState::kCompleted:
      mirror->update_job(j.job.rest_job_id, "completed", j.job.runner_id, j.job.runner_id != 0 ? j.runner_name : "",
                         conclusion_of(j.job.result));
      break;
    case JobState::kRunning:
      mirror->update_job(j.job.rest_job_id, "in_progress", j.job.runner_id, j.runner_name);
      break;
    default:  // assigned to the scale set or offered to a runner: queued until a runner starts it
      mirror->update_job(j.job.rest_job_id, "queued", 0, "");
  }
  // The run: queued until one of its jobs starts, completed when all of them are.
  auto run = rest_runs.find({j.job.spec.repository, j.job.spec.workflow_run_id});
  if (run == rest_runs.end()) return;
  bool all_completed = true;
  bool any_started = false;
  for (std::int64_t id : run->second.jobs) {
    auto it = jobs.find(id);
    const JobState st = it == jobs.end() ? JobState::kCompleted : it->second.job.state;  // forgotten: long completed
    all_completed = all_completed && st == JobState::kCompleted;
    any_started = any_started || st == JobState::kRunning || st == JobState::kCompleted;
  }
  mirror->set_run_status(run->second.id, all_completed ? "completed" : any_started ? "in_progress" : "queued");
  if (all_completed) rest_runs.erase(run);  // a later job of that run id starts a new run
}

}  // namespace ghscale::fake_actions
