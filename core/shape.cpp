// Shape helpers: element count with overflow checks, and printing.
#include <elucid/core/shape.hpp>

#include <elucid/core/error.hpp>

#include <limits>

namespace elucid {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape " + to_string(shape) + " has a negative dimension");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw Error("shape " + to_string(shape) + " has more elements than fit in 64 bits");
    n *= d;
  }
  return n;
}

std::string to_string(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string to_string(std::span<const Shape> shapes) {
  std::string text;
  for (const Shape& s : shapes) text += (text.empty() ? "" : ", ") + to_string(s);
  return text;
}

}  // namespace elucid
