// round_to_bfloat16 (core/ops/cast.cpp): each value to its nearest bfloat16, ties to even, against the test's own
// rounding in double; the gradient passes through unchanged (a cast's). Finite differences of a step function say
// nothing, so the backward is checked directly.
#include "support/grad_check.hpp"

#include <elucid/core/ops.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace elucid;

namespace {
// The nearest bfloat16 of x as a double, found from x's neighbours among the bfloat16 values (multiples of the
// bfloat16 step at x's binade), ties to the one whose last mantissa bit is 0.
double nearest_bfloat16(double x) {
  if (x == 0 || std::isnan(x) || std::isinf(x)) return x;
  int exponent = 0;
  std::frexp(x, &exponent);                  // |x| in [2^(e-1), 2^e)
  const double step = std::ldexp(1.0, std::max(exponent, -125) - 8);  // 8 significant bits, as bfloat16 has
  const double down = std::floor(x / step) * step, up = down + step;
  double nearest = std::fmod(down / step, 2.0) == 0 ? down : up;  // a tie
  if (x - down != up - x) nearest = x - down < up - x ? down : up;
  return std::fabs(nearest) >= std::ldexp(1.0, 128) ? std::copysign(HUGE_VAL, x) : nearest;  // beyond float: inf
}
}  // namespace

GRAD_TEST("round_to_bfloat16", "values, ties to even, inf and nan, and a gradient that passes through", "[ops][cast]") {
  Tensor x = grad_check::random_tensor({6, 50}, 21, -3.0f, 3.0f);
  float* v = x.data();
  v[0] = 1.0f + 1.0f / 256;        // halfway between 1 and 1 + 2^-7: to 1 (even)
  v[1] = 1.0f + 3.0f / 256;        // halfway between 1 + 2^-7 and 1 + 2^-6: to 1 + 2^-6 (even)
  v[2] = 1.0f + 1.0f / 256 + 1e-6f;  // just above halfway: up
  v[3] = -0.0f;
  v[4] = std::numeric_limits<float>::infinity();
  v[5] = std::numeric_limits<float>::quiet_NaN();
  v[6] = 3.4e38f;     // above the largest bfloat16 (about 3.3895e38) by more than half its step: to infinity
  v[7] = 1e-40f;      // a denormal float: kept as the nearest bfloat16 denormal
  Tensor y = ops::round_to_bfloat16(x);
  CHECK(std::string(y.op()) == "round_to_bfloat16");
  for (int64_t i = 0; i < x.size(); ++i) {
    CAPTURE(i, v[i]);
    if (std::isnan(v[i])) {
      CHECK(std::isnan(y.data()[i]));
      continue;
    }
    CHECK(static_cast<double>(y.data()[i]) == nearest_bfloat16(v[i]));
  }
  CHECK(y.data()[0] == 1.0f);
  CHECK(y.data()[1] == 1.0f + 1.0f / 64);
  CHECK(y.data()[2] == 1.0f + 1.0f / 128);
  CHECK(std::signbit(y.data()[3]));
  CHECK(std::isinf(y.data()[6]));

  Tensor g = grad_check::random_tensor({6, 50}, 22, -1.0f, 1.0f, false);
  grad_check::weighted_sum(y, grad_check::to_double(g)).backward();
  for (int64_t i = 0; i < x.size(); ++i) CHECK(x.grad_data()[i] == g.data()[i]);
}
