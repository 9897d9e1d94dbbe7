// Gradient checks shared by tests/core/ops/*.cpp: an op's float forward is compared with a naive double-precision
// reference written in the test, and its float backward with central finite differences of that reference.
// GRAD_TEST registers the op's name, so tests/core/ops/registry.cpp can fail when an op in kOpNames has no check.
#pragma once
#include <elucid/core/ops.hpp>
#include <elucid/core/random.hpp>
#include <elucid/core/tensor.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace grad_check {

using elucid::Shape;
using elucid::Tensor;
using Vec = std::vector<double>;
// The reference: all inputs (as doubles, in the order given to check_gradients) -> the output (as doubles).
using RefFn = std::function<Vec(const std::vector<Vec>&)>;
using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Names of the ops that have a gradient check (filled before main() runs by GRAD_TEST).
inline std::set<std::string>& registry() {
  static std::set<std::string> names;
  return names;
}
inline bool register_op(const char* name) {
  registry().insert(name);
  return true;
}

#define GRAD_CHECK_CAT2(a, b) a##b
#define GRAD_CHECK_CAT(a, b) GRAD_CHECK_CAT2(a, b)
// GRAD_TEST("elu", "alpha 0.5, batch 1", "[activation]") { ... } : a Catch2 test case that checks op "elu".
#define GRAD_TEST(op, description, tags)                                                                  \
  [[maybe_unused]] static const bool GRAD_CHECK_CAT(grad_check_registered_, __LINE__) = \
      grad_check::register_op(op);                                                                         \
  TEST_CASE("gradient of " op ": " description, "[grad]" tags)

// |got - want| <= abs + rel * |want|
struct Tolerance {
  double abs;
  double rel;
};
inline bool close(double got, double want, Tolerance t) {
  return std::fabs(got - want) <= t.abs + t.rel * std::fabs(want);
}

// A float tensor of the given shape, uniform in [low, high), the same for the same seed.
inline Tensor random_tensor(Shape shape, uint64_t seed, float low = -1.0f, float high = 1.0f,
                            bool requires_grad = true) {
  Tensor t(std::move(shape));
  elucid::Random rng(seed);
  for (float& v : t.values()) v = rng.uniform(low, high);
  if (requires_grad) t.set_requires_grad();
  return t;
}

// Values spaced at least `gap` apart in a random order (no ties: for max-pooling), scaled into about [-1, 1].
inline Tensor distinct_tensor(Shape shape, uint64_t seed, bool requires_grad = true) {
  Tensor t(std::move(shape));
  std::vector<int64_t> order(static_cast<size_t>(t.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  elucid::Random rng(seed);
  rng.shuffle(order);
  const float n = static_cast<float>(t.size());
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = (2.0f * static_cast<float>(order[static_cast<size_t>(i)]) - n) / n;
  if (requires_grad) t.set_requires_grad();
  return t;
}

inline Vec to_double(const Tensor& t) { return Vec(t.values().begin(), t.values().end()); }

// Checks every element of `got` against `want`; on failure reports the first bad index and the worst error.
inline void check_values(const std::vector<float>& got, const Vec& want, Tolerance tol, const std::string& what) {
  REQUIRE(got.size() == want.size());
  int64_t first_bad = -1, bad = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    if (!close(got[i], want[i], tol) || std::isnan(got[i]) != std::isnan(want[i])) {
      if (first_bad < 0) first_bad = static_cast<int64_t>(i);
      ++bad;
    }
    worst = std::max(worst, err);
  }
  INFO(what << ": " << bad << " of " << got.size() << " elements outside tolerance (abs " << tol.abs << ", rel "
            << tol.rel << "); worst error " << worst);
  if (first_bad >= 0) {
    INFO("first bad element " << first_bad << ": got " << got[static_cast<size_t>(first_bad)] << ", want "
                              << want[static_cast<size_t>(first_bad)]);
    CHECK(bad == 0);
  } else {
    CHECK(bad == 0);
  }
}

// sum(y * weights) with its own backward, so the checks below lean on no op under test.
inline Tensor weighted_sum(const Tensor& y, const Vec& weights) {
  double s = 0;
  for (int64_t i = 0; i < y.size(); ++i) s += y.data()[i] * weights[static_cast<size_t>(i)];
  Tensor out = Tensor::scalar(static_cast<float>(s));
  auto w = std::make_shared<Vec>(weights);
  out.set_backward("grad_check_weighted_sum", {y}, [w](std::span<const Tensor> in, const float* g) {
    Tensor y = in[0];
    float* gy = y.grad_data();
    for (int64_t i = 0; i < y.size(); ++i) gy[i] += static_cast<float>(g[0] * (*w)[static_cast<size_t>(i)]);
  });
  return out;
}

// The tolerances every gradient test uses unless it says otherwise: the float forward within 1e-5 + 1e-5 |want| of
// the double reference (float rounding over sums of a few hundred terms), the float backward within
// 1e-4 + 1e-3 |want| of the central differences (their own error is about step^2 ~ 1e-12, so this is the float's).
struct Options {
  Tolerance forward{1e-5, 1e-5};
  Tolerance backward{1e-4, 1e-3};
  double step = 1e-6;          // finite-difference step on the double reference
  uint64_t cotangent_seed = 99;
};

// 1. y = op(inputs) must be recorded as `op_name` and match ref(inputs) within options.forward.
// 2. With a random cotangent w, backward of sum(y * w) gives each input's gradient; it must match the central
//    difference (f(x + h e_j) - f(x - h e_j)) / 2h of f = sum(ref(x) * w) for every element j of every input that
//    requires grad, within options.backward. Only inputs marked requires_grad are checked.
inline void check_gradients(const char* op_name, std::vector<Tensor> inputs, const OpFn& op, const RefFn& ref,
                            const Options& options = {}) {
  for (Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) t.zero_grad();
  Tensor y = op(inputs);
  REQUIRE(std::string(y.op()) == op_name);

  std::vector<Vec> xd;
  for (const Tensor& t : inputs) xd.push_back(t.defined() ? to_double(t) : Vec{});
  const Vec want = ref(xd);
  check_values(std::vector<float>(y.values().begin(), y.values().end()), want, options.forward,
               std::string(op_name) + " forward");

  Vec w(static_cast<size_t>(y.size()));
  elucid::Random rng(options.cotangent_seed);
  for (double& v : w) v = rng.uniform(-1.0f, 1.0f);
  weighted_sum(y, w).backward();

  auto objective = [&](const std::vector<Vec>& x) {
    const Vec out = ref(x);
    double s = 0;
    for (size_t i = 0; i < out.size(); ++i) s += out[i] * w[i];
    return s;
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    Vec numeric(xd[i].size());
    std::vector<Vec> x = xd;
    for (size_t j = 0; j < xd[i].size(); ++j) {
      const double h = options.step * std::max(1.0, std::fabs(xd[i][j]));
      x[i][j] = xd[i][j] + h;
      const double plus = objective(x);
      x[i][j] = xd[i][j] - h;
      const double minus = objective(x);
      x[i][j] = xd[i][j];
      numeric[j] = (plus - minus) / (2 * h);
    }
    const Tensor g = inputs[i].grad();
    check_values(std::vector<float>(g.values().begin(), g.values().end()), numeric, options.backward,
                 std::string(op_name) + " gradient of input " + std::to_string(i));
  }
}

}  // namespace grad_check
