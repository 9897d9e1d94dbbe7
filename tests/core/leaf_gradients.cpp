// LeafGradients: backward() on a thread with one active writes the shared leaves' gradients into it, not the leaves.
#include <elucid/core/leaf_gradients.hpp>
#include <elucid/core/ops.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace elucid;

namespace {
// loss = sum(w * x): d loss / d w = x.
Tensor weighted_sum(const Tensor& w, std::vector<float> x) {
  return ops::sum(ops::mul(w, Tensor(w.shape(), std::move(x))));
}
}  // namespace

TEST_CASE("LeafGradients keep a thread's gradients apart until they are added in", "[tensor][autograd][threads]") {
  Tensor w(Shape{3}, std::vector<float>{1, 2, 3});
  w.set_requires_grad();
  LeafGradients first, second;
  const std::vector<Tensor> leaves{w};
  first.reset(leaves);
  second.reset(leaves);
  // Two threads run backward through w at once, each into its own gradients.
  std::thread a([&] {
    LeafGradients::Scope scope(first);
    weighted_sum(w, {1, 10, 100}).backward();
  });
  std::thread b([&] {
    LeafGradients::Scope scope(second);
    weighted_sum(w, {2, 20, 200}).backward();
    weighted_sum(w, {3, 30, 300}).backward();  // a second contribution adds to the first
  });
  a.join();
  b.join();
  CHECK_FALSE(w.has_grad());  // nothing reached the leaf itself
  first.add_into_leaves();
  REQUIRE(w.has_grad());
  CHECK(std::vector<float>(w.grad().values().begin(), w.grad().values().end()) == std::vector<float>{1, 10, 100});
  second.add_into_leaves();
  CHECK(std::vector<float>(w.grad().values().begin(), w.grad().values().end()) == std::vector<float>{6, 60, 600});

  // Added once only; after a reset for a new step nothing is written yet, so nothing is added either.
  second.add_into_leaves();
  CHECK(w.grad().values()[0] == 6);
  first.reset(leaves);
  first.add_into_leaves();
  CHECK(w.grad().values()[0] == 6);
  // With no scope active, backward writes into the leaf as usual.
  weighted_sum(w, {1, 1, 1}).backward();
  CHECK(w.grad().values()[0] == 7);
}

TEST_CASE("LeafGradients leave other leaves' gradients where they were", "[tensor][autograd]") {
  Tensor w(Shape{2}, std::vector<float>{1, 2}), v(Shape{2}, std::vector<float>{3, 4});
  w.set_requires_grad();
  v.set_requires_grad();
  LeafGradients mine;
  mine.reset(std::vector<Tensor>{w});
  {
    LeafGradients::Scope scope(mine);
    ops::sum(ops::mul(w, v)).backward();  // d/dw = v goes to `mine`, d/dv = w to v itself
  }
  CHECK_FALSE(w.has_grad());
  CHECK(v.grad().values()[1] == 2);
  mine.add_into_leaves();
  CHECK(w.grad().values()[1] == 4);
}
