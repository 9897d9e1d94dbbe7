// Small text formats shared by the summary, the CLI and the reports.
#pragma once
#include <cstdint>
#include <string>

namespace elucid {

std::string thousands(int64_t n);          // 93322 -> "93,322"
std::string shortest(double value);        // the shortest text that reads back as the same double: 0.1 -> "0.1"

}  // namespace elucid
