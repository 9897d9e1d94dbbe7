// The merge layers' ops (core/ops/merge.cpp): maximum and concatenate, values, gradients, shape errors.
#include "support/grad_check.hpp"
#include "support/error_of.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

using namespace elucid;
using Catch::Matchers::Contains;
using grad_check::Vec;

GRAD_TEST("maximum", "(3, 4), one input without grad", "[ops][merge]") {
  const auto ref = [](const std::vector<Vec>& in) {
    Vec out(in[0].size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = std::max(in[0][i], in[1][i]);
    return out;
  };
  const auto op = [](const std::vector<Tensor>& in) { return ops::maximum(in[0], in[1]); };
  grad_check::check_gradients("maximum", {grad_check::random_tensor({3, 4}, 1), grad_check::random_tensor({3, 4}, 2)},
                              op, ref);
  grad_check::check_gradients(
      "maximum", {grad_check::random_tensor({3, 4}, 3), grad_check::random_tensor({3, 4}, 4, -1, 1, false)}, op, ref);
}

// The double reference: (outer, width_k, inner) blocks side by side.
grad_check::RefFn concatenate_ref(std::vector<Shape> shapes, int axis) {
  return [shapes, axis](const std::vector<Vec>& in) {
    const size_t rank = shapes[0].size();
    const size_t a = static_cast<size_t>(axis < 0 ? axis + static_cast<int>(rank) : axis);
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < a; ++i) outer *= shapes[0][i];
    for (size_t i = a + 1; i < rank; ++i) inner *= shapes[0][i];
    Vec out;
    for (int64_t o = 0; o < outer; ++o)
      for (size_t k = 0; k < in.size(); ++k) {
        const int64_t row = shapes[k][a] * inner;
        out.insert(out.end(), in[k].begin() + o * row, in[k].begin() + (o + 1) * row);
      }
    return out;
  };
}

GRAD_TEST("concatenate", "the last axis, a middle axis and the batch axis, one input without grad", "[ops][merge]") {
  struct Case {
    std::vector<Shape> shapes;
    int axis;
  };
  for (const Case& c : {Case{{{2, 3, 2}, {2, 3, 4}}, -1}, Case{{{2, 1, 3}, {2, 2, 3}, {2, 3, 3}}, 1},
                        Case{{{1, 2, 2}, {2, 2, 2}}, 0}}) {
    INFO("axis " << c.axis);
    std::vector<Tensor> in;
    for (size_t k = 0; k < c.shapes.size(); ++k)
      in.push_back(grad_check::random_tensor(c.shapes[k], 10 + k, -1, 1, k != 1));
    const int axis = c.axis;
    grad_check::check_gradients(
        "concatenate", in, [axis](const std::vector<Tensor>& xs) { return ops::concatenate(xs, axis); },
        concatenate_ref(c.shapes, c.axis));
  }
}

TEST_CASE("concatenate and maximum name the shapes they refuse", "[ops][merge]") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4}), c = Tensor::zeros({3, 4});
  CHECK(ops::concatenate({a, b}, -1).shape() == Shape{2, 7});
  CHECK_THAT(test::error_of([&] { ops::concatenate({a, c}, -1); }),
             Contains("concatenate: (2, 3) and (3, 4) differ off axis -1"));
  CHECK_THAT(test::error_of([&] { ops::concatenate({a, b}, 2); }),
             Contains("concatenate: axis 2 is outside inputs of rank 2"));
  CHECK_THAT(test::error_of([&] { ops::maximum(a, b); }), Contains("maximum: (2, 3) and (2, 4)"));
}
