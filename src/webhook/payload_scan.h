// One pass over a delivery's JSON body that keeps only the fields ghscale reads (the
// action, hook_id, and the workflow_job, repository, organization and installation fields
// a JobEvent holds), without building a document: a workflow_job payload is 7-30 KB of
// which a few hundred bytes are used. The whole body is still checked to be valid JSON.
// A field is seen as a JSON object lookup would see it: the last of duplicate keys wins,
// and an object given twice is read from its last occurrence only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace ghscale::webhook {

// What one field held: absent, null, or a value of the JSON type it came as.
struct ScannedValue {
  enum class Kind : std::uint8_t { kAbsent, kNull, kInt64, kUint64, kString, kObject, kOther };
  Kind kind = Kind::kAbsent;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  std::string text;  // kString only
};

struct ScannedPayload {
  struct Job {
    ScannedValue self;  // kObject when present as an object
    ScannedValue id, run_id, run_attempt, status, conclusion, runner_id, runner_name, runner_group_id,
        runner_group_name, workflow_name, name, created_at, started_at, completed_at;
    ScannedValue labels;               // kObject stands for "an array" here
    std::vector<std::string> label_items;
    bool label_not_string = false;     // some element of the labels array was not a string
  };
  struct Repository {
    ScannedValue self, full_name, owner, owner_login;
  };
  struct Named {
    ScannedValue self, field;  // organization.login, installation.id
  };

  bool root_is_object = false;
  ScannedValue action, hook_id;
  Job job;
  Repository repository;
  Named organization, installation;
};

// kInvalid "malformed JSON body: <why>" when the body is not one valid JSON document.
Result<ScannedPayload> scan_payload(std::string_view json);

}  // namespace ghscale::webhook
