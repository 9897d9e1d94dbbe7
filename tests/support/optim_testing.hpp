// Helpers for the optimizer tests: hand-made parameters with fixed gradients, and comparison of a float tensor to
// values worked out in double.
#pragma once
#include <elucid/layers/layer.hpp>
#include <elucid/optim/optimizer.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace elucid::testing {

// A 1-D parameter that requires grad, e.g. param("dense/kernel", {1, -2}).
inline NamedTensor param(std::string name, std::vector<float> values) {
  const auto n = static_cast<int64_t>(values.size());  // read before the move below
  Tensor t({n}, std::move(values));
  t.set_requires_grad();
  return {std::move(name), t};
}

// Replaces the parameter's gradient, as a backward pass would have left it.
inline void set_grad(NamedTensor& p, const std::vector<float>& grad) {
  REQUIRE(static_cast<int64_t>(grad.size()) == p.tensor.size());
  p.tensor.zero_grad();
  float* g = p.tensor.grad_data();
  for (size_t i = 0; i < grad.size(); ++i) g[i] = grad[i];
}

using test::values_of;

// Float results against double references: a relative error of 1e-5 passes, a wrong term does not.
inline void check_close(const Tensor& t, const std::vector<double>& expected) {
  REQUIRE(static_cast<size_t>(t.size()) == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(t.data()[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-7));
  }
}

// Steps a parameter w = (1, -2) with grads[k] at step k and checks it against expected[k] after each step.
inline void run_and_check(optimizers::Optimizer& optimizer, const std::vector<std::vector<float>>& grads,
                          const std::vector<std::vector<double>>& expected) {
  std::vector<NamedTensor> params{param("w", {1, -2})};
  for (size_t step = 0; step < grads.size(); ++step) {
    INFO("step " << step + 1);
    set_grad(params[0], grads[step]);
    optimizer.step(params);
    check_close(params[0].tensor, expected[step]);
  }
}

}  // namespace elucid::testing
