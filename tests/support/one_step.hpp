// One forward and backward of a model or of layers called by hand, and what it leaves: for tests that two ways of
// running the same layers give the same bits.
#pragma once
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/elucid.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

namespace elucid::test {

// What one forward and backward leaves: the output, the input's gradient, each weight's gradient, and the op that
// made the output (the last op of the graph says which order ran).
struct OneStep {
  std::vector<float> y, dx;
  std::vector<std::vector<float>> weight_grads;
  std::string last_op;
};

// f(x) for a fixed x of `shape` (values in [-3, 3), both sides of every activation's bend), then the backward of a
// fixed random weighting of the output; `weights` are zeroed first and read after.
inline OneStep one_step(const std::function<Tensor(const Tensor&)>& f, const std::vector<NamedTensor>& weights,
                        const Shape& shape) {
  for (NamedTensor w : weights) w.tensor.zero_grad();  // a handle: the copy drops the weight's own gradient
  Tensor x = grad_check::random_tensor(shape, 91, -3.0f, 3.0f);
  Tensor y = f(x);
  grad_check::Vec cotangent(static_cast<size_t>(y.size()));
  Random rng(92);
  for (double& v : cotangent) v = rng.uniform(-1, 1);
  grad_check::weighted_sum(y, cotangent).backward();
  OneStep run{values_of(y), values_of(x.grad()), {}, y.op()};
  for (const NamedTensor& w : weights) run.weight_grads.push_back(values_of(w.tensor.grad()));
  return run;
}

// The two steps gave the same bits: output, input gradient and every weight's gradient.
inline void check_same_bits(const OneStep& a, const OneStep& b) {
  CHECK(same_bits(a.y, b.y));
  CHECK(same_bits(a.dx, b.dx));
  REQUIRE(a.weight_grads.size() == b.weight_grads.size());
  for (size_t i = 0; i < a.weight_grads.size(); ++i) CHECK(same_bits(a.weight_grads[i], b.weight_grads[i]));
}

}  // namespace elucid::test
