// yaml-cpp, included through here only. GCC 12 at -O3 reports dangling pointers inside
// yaml-cpp's own node code (impl.h) once inlined into ours; the warning is about the
// library's text, so it is silenced for that text alone.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop
#else
#include <yaml-cpp/yaml.h>
#endif
