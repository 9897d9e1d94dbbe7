// The version of elucid, for `#if` checks in a program and for elucid::version. CMakeLists.txt reads the numbers
// from here, so this file is the one place a release changes them.
#pragma once

#if __cplusplus < 202002L
#error "elucid needs C++20: compile with -std=c++20 (CMake's elucid::elucid target adds it for you)"
#endif

#define ELUCID_VERSION_MAJOR 0
#define ELUCID_VERSION_MINOR 2
#define ELUCID_VERSION_PATCH 0
#define ELUCID_VERSION_STRING "0.2.0"

namespace elucid {

inline constexpr const char* version = ELUCID_VERSION_STRING;

}  // namespace elucid
