// layer_norm (core/ops/layer_norm.cpp) against a double reference: gradients for x, gamma and beta, with and without
// gamma and beta; bit-identical at 1 and 2 threads; bad shapes.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>

#include <cmath>
#include <cstring>

using namespace elucid;
using grad_check::Vec;

namespace {
constexpr float kEpsilon = 1e-3f;

// in = {x, gamma?, beta?}: each row of d values, (x - mean) / sqrt(biased variance + epsilon) * gamma + beta.
grad_check::RefFn layer_norm_ref(int64_t d, bool gamma, bool beta) {
  return [=](const std::vector<Vec>& in) {
    const Vec& x = in[0];
    Vec y(x.size());
    for (size_t r = 0; r < x.size() / d; ++r) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < d; ++i) mean += x[r * d + i] / d;
      for (int64_t i = 0; i < d; ++i) var += (x[r * d + i] - mean) * (x[r * d + i] - mean) / d;
      for (int64_t i = 0; i < d; ++i)
        y[r * d + i] = (x[r * d + i] - mean) / std::sqrt(var + kEpsilon) * (gamma ? in[1][i] : 1.0) +
                       (beta ? in[gamma ? 2 : 1][i] : 0.0);
    }
    return y;
  };
}
}  // namespace

GRAD_TEST("layer_norm", "(5, 4) and (2, 3, 2, 6), with and without gamma and beta", "[ops][layer_norm]") {
  for (const Shape& shape : {Shape{5, 4}, Shape{2, 3, 2, 6}}) {
    const int64_t d = shape.back();
    INFO("x " << to_string(shape));
    grad_check::check_gradients(
        "layer_norm",
        {grad_check::random_tensor(shape, 110), grad_check::random_tensor({d}, 111, 0.5f, 1.5f),
         grad_check::random_tensor({d}, 112)},
        [](const std::vector<Tensor>& in) { return ops::layer_norm(in[0], in[1], in[2], kEpsilon); },
        layer_norm_ref(d, true, true));
    grad_check::check_gradients(
        "layer_norm", {grad_check::random_tensor(shape, 113), grad_check::random_tensor({d}, 114)},
        [](const std::vector<Tensor>& in) { return ops::layer_norm(in[0], Tensor(), in[1], kEpsilon); },
        layer_norm_ref(d, false, true));
    grad_check::check_gradients(
        "layer_norm", {grad_check::random_tensor(shape, 115)},
        [](const std::vector<Tensor>& in) { return ops::layer_norm(in[0], Tensor(), Tensor(), kEpsilon); },
        layer_norm_ref(d, false, false));
  }
}

TEST_CASE("layer_norm is bit-identical at 1 and 2 threads, and refuses bad shapes", "[ops][layer_norm][threads]") {
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({64, 9, 64}, 116);
    Tensor gamma = grad_check::random_tensor({64}, 117), beta = grad_check::random_tensor({64}, 118);
    Tensor y = ops::layer_norm(x, gamma, beta, kEpsilon);
    Vec weights(static_cast<size_t>(y.size()));
    Random rng(119);
    for (double& v : weights) v = rng.uniform(-1, 1);
    grad_check::weighted_sum(y, weights).backward();
    std::vector<float> all;
    for (const Tensor& t : {y, x.grad(), gamma.grad(), beta.grad()})
      all.insert(all.end(), t.values().begin(), t.values().end());
    return all;
  };
  const std::vector<float> one = run(1), two = run(2);
  set_num_threads(0);
  CHECK((one.size() == two.size() && std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0));
  CHECK_THROWS_WITH(ops::layer_norm(Tensor({2, 4}), Tensor({3}), Tensor(), kEpsilon),
                    "layer_norm: input (2, 4) and gamma (3,): gamma and beta must have shape (4,)");
  CHECK_THROWS_WITH(ops::layer_norm(Tensor({2, 4}), Tensor(), Tensor(), 0.0f), "layer_norm: epsilon must be > 0, got 0.000000");
}
