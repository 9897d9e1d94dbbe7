// Input checks shared by the op implementations; the messages are pinned by tests/core/ops/*.cpp.
#include <elucid/core/ops/check.hpp>

#include <elucid/core/error.hpp>

namespace elucid::ops::detail {

std::string shape_of(const Tensor& t) { return to_string(t.shape()); }

void check_defined(const char* op, const Tensor& t, const char* what) {
  if (!t.defined()) throw Error(std::string(op) + ": " + what + " is undefined");
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a, "first operand");
  check_defined(op, b, "second operand");
  if (a.shape() != b.shape()) throw Error(std::string(op) + ": " + shape_of(a) + " and " + shape_of(b) + ": shapes differ");
}

void check_rank(const char* op, const Tensor& t, int rank, const char* what, const char* layout) {
  check_defined(op, t, what);
  if (t.rank() != rank)
    throw Error(std::string(op) + ": " + what + " " + shape_of(t) + " must have rank " + std::to_string(rank) + " " +
                layout);
}

}  // namespace elucid::ops::detail
