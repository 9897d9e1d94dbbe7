// SVG text helpers.
#include <elucid/report/svg.hpp>

#include <cmath>
#include <cstdio>

namespace elucid::report {

std::string escape_xml(const std::string& text) {
  std::string s;
  for (char c : text) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      default: s += c;
    }
  }
  return s;
}

std::string num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string s = buffer;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  // Multiples of the step, computed from an integer index so that no error accumulates.
  for (auto k = static_cast<long long>(std::ceil(low / step - 1e-9)); k * step <= high + step * 1e-9; ++k)
    ticks.push_back(static_cast<double>(k) * step);
  return ticks;
}

double text_width(const std::string& text, double font_size) { return 0.6 * font_size * static_cast<double>(text.size()); }

}  // namespace elucid::report
