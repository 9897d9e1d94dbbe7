// Checks of optimizer and schedule options: a bad value throws elucid::Error naming the owner, the option and the
// value, e.g. `Adam: beta_1 must be in [0, 1), got 1.5`.
#pragma once
#include <elucid/core/format.hpp>

#include <cstdint>
#include <string>

namespace elucid::optimizers {

// Throws `owner: option must be requirement, got value` unless ok. Write conditions so that NaN fails them
// (`x >= 0`, not `!(x < 0)`). Each overload prints its value as written (0.1f as "0.1", not 0.100000001).
void check_option(bool ok, const std::string& owner, const char* option, double value, const char* requirement);
void check_option(bool ok, const std::string& owner, const char* option, float value, const char* requirement);
void check_option(bool ok, const std::string& owner, const char* option, int64_t value, const char* requirement);

}  // namespace elucid::optimizers
