// The limits fuzz_http_request reads with, and that the expected outcomes in the names of
// fuzz_corpus/ (make_fuzz_corpus.sh) assume. Smaller than the server's defaults so that
// short inputs reach every limit.
#pragma once

#include "http/request_reader.h"

namespace ghscale::http {

inline constexpr RequestLimits kFuzzLimits{.max_header_bytes = 4096, .max_body_bytes = 16 * 1024};

}  // namespace ghscale::http
