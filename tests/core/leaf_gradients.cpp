// LeafGradients: backward() on a thread with one active writes the shared leaves' gradients into it, not the leaves.
#include <elucid/core/leaf_gradients.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
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

TEST_CASE("LeafGradients added together give the bits of adding them in turn", "[tensor][autograd][threads]") {
  // Leaves of several blocks (the sum runs in blocks of 4,096 over the team), one of one element; each slice's
  // gradient of sum(w * x) is its x, drawn so that the order of the additions shows in the bits.
  const std::vector<int64_t> sizes{10000, 1, 4096};
  std::vector<Tensor> leaves;
  for (int64_t size : sizes) {
    leaves.push_back(Tensor::zeros({size}));
    leaves.back().set_requires_grad();
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> draw(-1.0f, 1.0f);
  const auto random_values = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = draw(rng) * std::pow(10.0f, draw(rng) * 3);
    return v;
  };
  constexpr int kSlices = 3;
  std::vector<std::vector<std::vector<float>>> x(kSlices);  // x[s][leaf]
  for (auto& per_leaf : x)
    for (int64_t size : sizes) per_leaf.push_back(random_values(size));
  const std::vector<float> earlier = random_values(sizes[0]);  // a gradient the first leaf holds already

  // backward of slice s into `slices[s]`; slice 1 writes no gradient for the last leaf.
  const auto run = [&](std::vector<LeafGradients>& slices) {
    for (auto& g : slices) g.reset(leaves);
    for (int s = 0; s < kSlices; ++s) {
      LeafGradients::Scope scope(slices[static_cast<size_t>(s)]);
      for (size_t i = 0; i < leaves.size(); ++i)
        if (!(s == 1 && i == 2)) weighted_sum(leaves[i], x[static_cast<size_t>(s)][i]).backward();
    }
  };
  const auto gradients = [&] {
    std::vector<std::vector<float>> g;
    for (const Tensor& leaf : leaves) g.emplace_back(leaf.grad().values().begin(), leaf.grad().values().end());
    for (Tensor& leaf : leaves) leaf.zero_grad();
    return g;
  };
  const auto hold_earlier = [&] {
    float* g = leaves[0].grad_data();
    std::copy(earlier.begin(), earlier.end(), g);
  };

  std::vector<LeafGradients> slices(kSlices);
  hold_earlier();
  run(slices);
  for (auto& g : slices) g.add_into_leaves();
  const std::vector<std::vector<float>> one_by_one = gradients();

  for (int threads : {1, 2}) {
    elucid::set_num_threads(threads);
    hold_earlier();
    run(slices);
    LeafGradients::add_into_leaves(slices);
    const std::vector<std::vector<float>> together = gradients();
    for (size_t i = 0; i < leaves.size(); ++i) {
      INFO("leaf " << i << ", " << threads << " threads");
      CHECK(std::memcmp(together[i].data(), one_by_one[i].data(), together[i].size() * sizeof(float)) == 0);
    }
  }
  elucid::set_num_threads(0);
  // The order shows: the first leaf's sum in another order differs in its bits.
  std::vector<float> reversed(static_cast<size_t>(sizes[0]));
  for (size_t j = 0; j < reversed.size(); ++j) reversed[j] = ((x[2][0][j] + x[1][0][j]) + x[0][0][j]) + earlier[j];
  CHECK(std::memcmp(reversed.data(), one_by_one[0].data(), reversed.size() * sizeof(float)) != 0);

  // Gradients over different leaves cannot be added together.
  std::vector<LeafGradients> mismatched(2);
  mismatched[0].reset(leaves);
  mismatched[1].reset(std::vector<Tensor>{leaves[0]});
  CHECK_THROWS_WITH(LeafGradients::add_into_leaves(mismatched),
                    Catch::Contains("gradients over 1 and 3 leaves"));
}
