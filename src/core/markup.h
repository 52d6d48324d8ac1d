// Text into XML or HTML: the five characters markup gives meaning escaped, so a value
// (a pool name in a report, a field in an AWS answer) is always read as text.
#pragma once

#include <string>
#include <string_view>

namespace ghscale {

void append_markup_escaped(std::string& out, std::string_view text);
std::string markup_escaped(std::string_view text);

}  // namespace ghscale
