// Number formats: thousands separators, and shortest round-trip numbers through std::to_chars.
#include <elucid/core/format.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>

namespace elucid {

std::string thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return n < 0 ? "-" + s : s;
}

namespace {
template <class T>
std::string shortest(T value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 32 characters always hold the shortest form of a double
  return std::string(buffer, end);
}
}  // namespace

std::string format_number(double value) { return shortest(value); }
std::string format_number(float value) { return shortest(value); }

std::string format_number(double value, int decimals) {
  if (std::isnan(value) || std::isinf(value)) return shortest(value);
  char buffer[400];  // %.Nf of the largest double is 309 digits, then N decimals (capped at 60)
  std::snprintf(buffer, sizeof buffer, "%.*f", std::clamp(decimals, 0, 60), value);
  return buffer;
}

double as_written(float value) {
  const std::string text = shortest(value);
  double result = value;
  std::from_chars(text.data(), text.data() + text.size(), result);
  return result;
}

}  // namespace elucid
