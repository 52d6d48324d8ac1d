// `ghscale simulate --html`: one self-contained page comparing the policies (queue-wait
// percentiles and their distribution, cost, instances over time against demand, GitHub
// calls per job, and the whole table), for a design review. The charts are inline SVG
// drawn here: the page needs no script, no network and no file beside it.
#pragma once

#include <string>
#include <vector>

#include "sandbox/simulator.h"

namespace ghscale::sandbox {

struct HtmlReportInfo {
  std::string workload;  // one line: how many jobs, over how long, boot time, instance type
  std::string command;   // how the report was made, shown so it can be made again
};

std::string format_html_report(const std::vector<PolicyResult>& results, const HtmlReportInfo& info);

}  // namespace ghscale::sandbox
