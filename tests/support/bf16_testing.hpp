// Helpers the bf16-product tests share (tests/core/ops/conv.cpp, linear.cpp): bfloat16-rounded doubles, a fixed
// output gradient handed to an op's backward, and a check of floats against a double reference within 1e-5 of the
// sum of the magnitudes of each value's terms.
#pragma once
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/tensor.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <memory>
#include <string>
#include <vector>

namespace bf16_testing {

// True when the bf16 tests can run; otherwise a visible warning (the test then returns without checking anything).
inline bool runs_here() {
  if (elucid::kernels::cpu_has_avx512_bf16()) return true;
  WARN("skipped: this CPU has no AVX512_BF16, which bf16 products need");
  return false;
}

inline std::vector<double> rounded(const float* x, int64_t n) {
  std::vector<double> r(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) r[static_cast<size_t>(i)] = elucid::kernels::round_to_bfloat16(x[i]);
  return r;
}

// A scalar whose backward hands `dy` to y as its gradient: backward() runs y's op backward once with that dy.
inline elucid::Tensor seed_gradient(const elucid::Tensor& y, const std::shared_ptr<std::vector<float>>& dy) {
  elucid::Tensor s = elucid::Tensor::scalar(0);
  s.set_backward("bf16_test_seed", {y}, [dy](std::span<const elucid::Tensor> in, const float*) {
    elucid::Tensor y = in[0];
    std::memcpy(y.grad_data(), dy->data(), dy->size() * sizeof(float));
  });
  return s;
}

// Every got[i] within 1e-5 * magnitude[i] + 1e-6 of want[i].
inline void check_close(const std::vector<float>& got, const std::vector<double>& want,
                        const std::vector<double>& magnitude, const std::string& what) {
  REQUIRE(got.size() == want.size());
  int64_t wrong = 0, first = -1;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double allowed = 1e-5 * magnitude[i] + 1e-6, error = std::fabs(got[i] - want[i]);
    worst = std::max(worst, error / allowed);
    if (!(error <= allowed)) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++wrong;
    }
  }
  INFO(what << ": " << wrong << " of " << got.size() << " wrong, first at " << first << ", worst error / allowed "
            << worst);
  CHECK(wrong == 0);
}

using elucid::test::same_bits;
using elucid::test::values_of;

}  // namespace bf16_testing
