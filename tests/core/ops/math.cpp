// Elementwise arithmetic, reductions and reshapes (core/ops/math.cpp): values, gradients, shape errors.
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

using namespace elucid;
using grad_check::Vec;

namespace {
// out[i] = f(a[i], b[i]) over two same-sized inputs.
template <class F>
grad_check::RefFn binary_ref(F f) {
  return [f](const std::vector<Vec>& in) {
    Vec out(in[0].size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = f(in[0][i], in[1][i]);
    return out;
  };
}
}  // namespace

GRAD_TEST("add", "(2, 3, 5) and batch 1", "[ops][math]") {
  for (Shape s : {Shape{2, 3, 5}, Shape{1, 7}}) {
    grad_check::check_gradients("add", {grad_check::random_tensor(s, 1), grad_check::random_tensor(s, 2)},
                                [](const std::vector<Tensor>& in) { return ops::add(in[0], in[1]); },
                                binary_ref([](double a, double b) { return a + b; }));
  }
}

GRAD_TEST("add_relu", "(2, 3, 5), one input without grad, and one input twice", "[ops][math]") {
  const auto ref = binary_ref([](double a, double b) { return a + b > 0 ? a + b : 0.0; });
  const auto add_relu = [](const std::vector<Tensor>& in) { return ops::add_relu(in[0], in[1]); };
  grad_check::check_gradients("add_relu", {grad_check::random_tensor({2, 3, 5}, 11), grad_check::random_tensor({2, 3, 5}, 12)},
                              add_relu, ref);
  grad_check::check_gradients(
      "add_relu", {grad_check::random_tensor({4, 3}, 13), grad_check::random_tensor({4, 3}, 14, -1, 1, false)}, add_relu,
      ref);
  grad_check::check_gradients(
      "add_relu", {grad_check::random_tensor({3, 4}, 15)},
      [](const std::vector<Tensor>& in) { return ops::add_relu(in[0], in[0]); },
      [](const std::vector<Vec>& in) {
        Vec out(in[0].size());
        for (size_t i = 0; i < out.size(); ++i) out[i] = in[0][i] > 0 ? 2 * in[0][i] : 0.0;
        return out;
      });
}

TEST_CASE("add_relu gives the bits of relu(add) forward and backward", "[ops][math]") {
  // b is read twice, so its gradient is first assigned (fresh) and then added to.
  auto run = [](bool fused) {
    Tensor a = grad_check::random_tensor({3, 70, 33}, 16), b = grad_check::random_tensor({3, 70, 33}, 17);
    const Tensor dy = grad_check::random_tensor({3, 70, 33}, 18, -1, 1, false);
    const Tensor y = fused ? ops::add_relu(a, b) : ops::relu(ops::add(a, b));
    ops::add(ops::sum(ops::mul(y, dy)), ops::sum(ops::mul(b, dy))).backward();
    return std::vector<std::vector<float>>{test::values_of(y), test::values_of(a.grad()), test::values_of(b.grad())};
  };
  const auto fused = run(true), apart = run(false);
  for (size_t i = 0; i < fused.size(); ++i) {
    INFO("result " << i << " of y, da, db");
    CHECK(test::same_bits(fused[i], apart[i]));
  }
  CHECK_THROWS_WITH(ops::add_relu(Tensor({2, 3}), Tensor({3, 2})), "add_relu: (2, 3) and (3, 2): shapes differ");
}

GRAD_TEST("sub", "(4, 3)", "[ops][math]") {
  grad_check::check_gradients("sub", {grad_check::random_tensor({4, 3}, 3), grad_check::random_tensor({4, 3}, 4)},
                              [](const std::vector<Tensor>& in) { return ops::sub(in[0], in[1]); },
                              binary_ref([](double a, double b) { return a - b; }));
}

GRAD_TEST("mul", "(3, 5) and one input without grad", "[ops][math]") {
  grad_check::check_gradients("mul", {grad_check::random_tensor({3, 5}, 5), grad_check::random_tensor({3, 5}, 6)},
                              [](const std::vector<Tensor>& in) { return ops::mul(in[0], in[1]); },
                              binary_ref([](double a, double b) { return a * b; }));
  grad_check::check_gradients("mul",
                              {grad_check::random_tensor({3, 5}, 7), grad_check::random_tensor({3, 5}, 8, -1, 1, false)},
                              [](const std::vector<Tensor>& in) { return ops::mul(in[0], in[1]); },
                              binary_ref([](double a, double b) { return a * b; }));
}

GRAD_TEST("add_scalar", "(2, 3) + 1.5", "[ops][math]") {
  grad_check::check_gradients("add_scalar", {grad_check::random_tensor({2, 3}, 9)},
                              [](const std::vector<Tensor>& in) { return ops::add_scalar(in[0], 1.5f); },
                              [](const std::vector<Vec>& in) {
                                Vec out = in[0];
                                for (double& v : out) v += 1.5;
                                return out;
                              });
}

GRAD_TEST("mul_scalar", "(2, 3) * -2.5", "[ops][math]") {
  grad_check::check_gradients("mul_scalar", {grad_check::random_tensor({2, 3}, 10)},
                              [](const std::vector<Tensor>& in) { return ops::mul_scalar(in[0], -2.5f); },
                              [](const std::vector<Vec>& in) {
                                Vec out = in[0];
                                for (double& v : out) v *= -2.5;
                                return out;
                              });
}

GRAD_TEST("sum", "(3, 4, 5) -> ()", "[ops][math]") {
  grad_check::check_gradients("sum", {grad_check::random_tensor({3, 4, 5}, 11)},
                              [](const std::vector<Tensor>& in) { return ops::sum(in[0]); },
                              [](const std::vector<Vec>& in) {
                                double s = 0;
                                for (double v : in[0]) s += v;
                                return Vec{s};
                              });
}

GRAD_TEST("mean", "(3, 4, 5) -> ()", "[ops][math]") {
  grad_check::check_gradients("mean", {grad_check::random_tensor({3, 4, 5}, 12)},
                              [](const std::vector<Tensor>& in) { return ops::mean(in[0]); },
                              [](const std::vector<Vec>& in) {
                                double s = 0;
                                for (double v : in[0]) s += v;
                                return Vec{s / static_cast<double>(in[0].size())};
                              });
}

GRAD_TEST("reshape", "(2, 3, 4) -> (4, -1)", "[ops][math]") {
  Tensor x = grad_check::random_tensor({2, 3, 4}, 13);
  CHECK(ops::reshape(x, {4, -1}).shape() == Shape{4, 6});
  grad_check::check_gradients("reshape", {x}, [](const std::vector<Tensor>& in) { return ops::reshape(in[0], {4, -1}); },
                              [](const std::vector<Vec>& in) { return in[0]; });
}

GRAD_TEST("flatten", "(2, 3, 2, 4) -> (2, 24) in H, W, C order", "[ops][math]") {
  Tensor x = grad_check::random_tensor({2, 3, 2, 4}, 14);
  Tensor y = ops::flatten(x);
  CHECK(y.shape() == Shape{2, 24});
  CHECK(y.at({1, (1 * 2 + 0) * 4 + 3}) == x.at({1, 1, 0, 3}));  // (h=1, w=0, c=3) of sample 1: (h * W + w) * C + c
  CHECK(ops::flatten(grad_check::random_tensor({5}, 1)).shape() == Shape{5, 1});
  grad_check::check_gradients("flatten", {x}, [](const std::vector<Tensor>& in) { return ops::flatten(in[0]); },
                              [](const std::vector<Vec>& in) { return in[0]; });
}

TEST_CASE("math ops reject mismatched shapes naming the op and both shapes", "[ops][math]") {
  Tensor a({2, 3}), b({3, 2});
  CHECK_THROWS_WITH(ops::add(a, b), "add: (2, 3) and (3, 2): shapes differ");
  CHECK_THROWS_WITH(ops::sub(a, b), "sub: (2, 3) and (3, 2): shapes differ");
  CHECK_THROWS_WITH(ops::mul(a, b), "mul: (2, 3) and (3, 2): shapes differ");
  CHECK_THROWS_WITH(ops::add(a, Tensor()), "add: second operand is undefined");
  CHECK_THROWS_WITH(ops::mean(Tensor(Shape{0, 3})), "mean: input (0, 3) has no elements");
  CHECK_THROWS_WITH(ops::reshape(a, {4}), "reshape: cannot reshape (2, 3) to (4,): element counts differ (6 vs 4)");
  CHECK_THROWS_WITH(ops::reshape(a, {4, -1}), "reshape: cannot reshape (2, 3) to (4, -1): 6 elements do not divide evenly");
  CHECK_THROWS_WITH(ops::reshape(a, {-1, -1}),
                    "reshape: cannot reshape (2, 3) to (-1, -1): dimensions must be >= 0, with at most one -1");
  CHECK_THROWS_WITH(ops::flatten(Tensor::scalar(1)), "flatten: input () has no batch axis");
}

TEST_CASE("reshape shares the data and records no graph without grad", "[ops][math]") {
  Tensor x({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor y = ops::reshape(x, {3, 2});
  CHECK(y.data() == x.data());
  CHECK(y.is_leaf());
  Tensor s = ops::sum(ops::mul_scalar(x, 2));
  CHECK(s.item() == 42);
  CHECK_FALSE(s.requires_grad());
}
