// Option checks shared by the optimizers and the learning-rate schedules.
#include <elucid/optim/check_option.hpp>

#include <elucid/core/error.hpp>

#include <charconv>

namespace elucid::optimizers {

namespace {
template <class T>
std::string shortest(T value) {
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return ec == std::errc() ? std::string(text, end) : std::string("?");
}

void fail(const std::string& owner, const char* option, const char* requirement, const std::string& value) {
  throw Error(owner + ": " + option + " must be " + requirement + ", got " + value);
}
}  // namespace

std::string format_number(double value) { return shortest(value); }
std::string format_number(float value) { return shortest(value); }

double as_written(float value) {
  const std::string text = shortest(value);
  double result = value;
  std::from_chars(text.data(), text.data() + text.size(), result);
  return result;
}

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
