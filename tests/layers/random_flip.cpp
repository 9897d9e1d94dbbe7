// RandomFlip: identity at inference, the flips each sample draws in training, the same flips whatever part of the
// batch a thread is given, the gradient flipped back.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/random_flip.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
// (n, 2, 3, 1) holding 0, 1, 2, ...: sample s is 6 s + [[0, 1, 2], [3, 4, 5]].
Tensor ramp(int64_t n) {
  Tensor x({n, 2, 3, 1});
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i);
  return x;
}
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
}  // namespace

TEST_CASE("RandomFlip is the identity at inference and checks its mode", "[layers][augmentation]") {
  RandomFlip flip("horizontal", {.seed = 1});
  Tensor x = ramp(2);
  CHECK(flip.forward(x, false).same_node(x));
  CHECK(flip.output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(flip.count_params() == 0);
  CHECK(flip.class_name() == "RandomFlip");
  CHECK(RandomFlip().mode() == "horizontal_and_vertical");
  CHECK_THROWS_WITH(RandomFlip("both", {.name = "f"}),
                    "RandomFlip \"f\": mode \"both\" is not one of \"horizontal\", \"vertical\", \"horizontal_and_vertical\"");
  CHECK_THROWS_WITH(flip.output_shape({12}), Catch::Contains("RandomFlip: expects input (H, W, C)"));
  CHECK_THROWS_WITH(flip.forward(Tensor({2, 3}), true), "RandomFlip: expects a batch (N, H, W, C), got (2, 3)");
}

TEST_CASE("RandomFlip in training flips sample i as its keyed draws say", "[layers][augmentation]") {
  // Step 3, samples 10..17: sample i flips left-right when Random::keyed(5, 3, 10 + i)'s first uniform() < 1/2 and
  // top-bottom when its second one is.
  const Tensor x = ramp(8);
  for (const char* mode : {"horizontal", "vertical", "horizontal_and_vertical"}) {
    INFO(mode);
    const std::string m = mode;
    RandomFlip flip(m, {.seed = 5});
    const RunPosition::Scope at({3, 10});
    const std::vector<float> y = values(flip.forward(x, true));
    std::vector<float> expected;
    int flipped = 0;
    for (int64_t s = 0; s < 8; ++s) {
      Random rng = Random::keyed(5, 3, static_cast<uint64_t>(10 + s));
      const bool fw = m != "vertical" && rng.uniform() < 0.5f, fh = m != "horizontal" && rng.uniform() < 0.5f;
      flipped += fw || fh;
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
          expected.push_back(static_cast<float>(6 * s + 3 * (fh ? 1 - i : i) + (fw ? 2 - j : j)));
    }
    CHECK(y == expected);
    CHECK(flipped > 0);  // 8 samples: some flipped, some not
    CHECK(flipped < 8);
  }
  // By hand (no RunPosition) the same seed gives the same first call; the next call draws again.
  RandomFlip a("horizontal", {.seed = 5}), b("horizontal", {.seed = 5});
  const std::vector<float> first = values(a.forward(x, true));
  CHECK(values(b.forward(x, true)) == first);
  CHECK(values(a.forward(x, true)) != first);
  // Without a seed, build() draws one from the model's generator: the same model seed, the same flips.
  RandomFlip u, v;
  Random ru(9), rv(9);
  u.build({2, 3, 1}, ru);
  v.build({2, 3, 1}, rv);
  CHECK(values(u.forward(x, true)) == values(v.forward(x, true)));
}

TEST_CASE("RandomFlip flips each sample by its place in the batch, and flips the gradient back",
          "[layers][augmentation][distributed]") {
  const Tensor x = ramp(6);
  RandomFlip flip("horizontal_and_vertical", {.seed = 2});
  std::vector<float> whole, first, last;
  {
    const RunPosition::Scope at({4, 0});
    whole = values(flip.forward(x, true));
  }
  {
    const RunPosition::Scope at({4, 2});  // the later part first, as another thread might
    Tensor part({4, 2, 3, 1});
    std::copy(x.data() + 12, x.data() + 36, part.data());
    last = values(flip.forward(part, true));
  }
  {
    const RunPosition::Scope at({4, 0});
    Tensor part({2, 2, 3, 1});
    std::copy(x.data(), x.data() + 12, part.data());
    first = values(flip.forward(part, true));
  }
  first.insert(first.end(), last.begin(), last.end());
  CHECK(first == whole);

  // y = flip(x) and sum(y * x) -> d/dx = flip(x) + flip^-1(x) = 2 flip(x) (a flip is its own inverse).
  Tensor xg = ramp(6);
  xg.set_requires_grad(true);
  const RunPosition::Scope at({4, 0});
  Tensor y = flip.forward(xg, true);
  ops::sum(ops::mul(y, xg)).backward();
  for (int64_t i = 0; i < x.size(); ++i) CHECK(xg.grad().values()[i] == 2 * whole[static_cast<size_t>(i)]);
}
