// Option checks shared by the optimizers and the learning-rate schedules.
#include <elucid/optim/check_option.hpp>

#include <elucid/core/error.hpp>

namespace elucid::optimizers {

namespace {
void fail(const std::string& owner, const char* option, const char* requirement, const std::string& value) {
  throw Error(owner + ": " + option + " must be " + requirement + ", got " + value);
}
}  // namespace

void check_option(bool ok, const std::string& owner, const char* option, double value, const char* requirement) {
  if (!ok) fail(owner, option, requirement, format_number(value));
}
void check_option(bool ok, const std::string& owner, const char* option, float value, const char* requirement) {
  if (!ok) fail(owner, option, requirement, format_number(value));
}
void check_option(bool ok, const std::string& owner, const char* option, int64_t value, const char* requirement) {
  if (!ok) fail(owner, option, requirement, std::to_string(value));
}

}  // namespace elucid::optimizers
