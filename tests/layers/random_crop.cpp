// RandomCrop: shapes, each sample's window in training, the centered window and resize at inference, the gradient
// inside the windows only, the same windows whatever part of the batch a thread is given.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/random_crop.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
// (n, h, w, 1) holding 0, 1, 2, ...
Tensor ramp(int64_t n, int64_t h, int64_t w) {
  Tensor x({n, h, w, 1});
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i);
  return x;
}
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
}  // namespace

TEST_CASE("RandomCrop's shapes and argument checks", "[layers][augmentation]") {
  RandomCrop crop(24, 20, {.seed = 1});
  CHECK(crop.output_shape({32, 32, 3}) == Shape{24, 20, 3});
  CHECK(crop.count_params() == 0);
  CHECK(crop.class_name() == "RandomCrop");
  CHECK_THROWS_WITH(RandomCrop(0, 3, {.name = "c"}), "RandomCrop \"c\": height and width must be >= 1, got (0, 3)");
  CHECK_THROWS_WITH(crop.forward(Tensor({2, 3}), true), "RandomCrop: expects a batch (N, H, W, C), got (2, 3)");
}

TEST_CASE("RandomCrop in training takes each sample's window at its keyed corner", "[layers][augmentation]") {
  // 6 samples (4, 5): a (2, 3) window fits at 3 x 3 corners; sample s draws top = below(3), then left = below(3),
  // from Random::keyed(8, 2, s).
  const Tensor x = ramp(6, 4, 5);
  RandomCrop crop(2, 3, {.seed = 8});
  const RunPosition::Scope at({2, 0});
  const std::vector<float> y = values(crop.forward(x, true));
  std::vector<float> expected;
  std::vector<int64_t> corners;
  for (int64_t s = 0; s < 6; ++s) {
    Random rng = Random::keyed(8, 2, static_cast<uint64_t>(s));
    const auto top = static_cast<int64_t>(rng.below(3)), left = static_cast<int64_t>(rng.below(3));
    corners.push_back(top * 3 + left);
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) expected.push_back(static_cast<float>((s * 4 + top + i) * 5 + left + j));
  }
  CHECK(y == expected);
  CHECK(std::count(corners.begin(), corners.end(), corners[0]) < 6);  // not all at one corner

  // The first samples alone, as a thread's slice: the same windows.
  Tensor part({2, 4, 5, 1});
  std::copy(x.data(), x.data() + 40, part.data());
  const std::vector<float> first = values(crop.forward(part, true));
  CHECK(std::equal(first.begin(), first.end(), y.begin()));

  // The gradient of sum(y): 1 inside each sample's window, 0 outside.
  Tensor xg = ramp(6, 4, 5);
  xg.set_requires_grad(true);
  ops::sum(crop.forward(xg, true)).backward();
  float inside = 0;
  for (float g : xg.grad().values()) {
    CHECK((g == 0.0f || g == 1.0f));
    inside += g;
  }
  CHECK(inside == 6 * 2 * 3);
}

TEST_CASE("RandomCrop at inference keeps the largest centered window of the target's shape, resized",
          "[layers][augmentation]") {
  // (4, 6) to (2, 3): the whole image has the target's aspect ratio; halved, each output the mean of a 2 x 2 block.
  const Tensor x = ramp(1, 4, 6);
  const std::vector<float> half = values(RandomCrop(2, 3).forward(x, false));
  CHECK(half == std::vector<float>{3.5f, 5.5f, 7.5f, 15.5f, 17.5f, 19.5f});
  // (4, 4) to (2, 4): rows 1 and 2, no resize.
  const Tensor square = ramp(1, 4, 4);
  CHECK(values(RandomCrop(2, 4).forward(square, false)) == std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11});
  // In training, an image smaller than the window takes the same path: (2, 3) -> (4, 6), bilinear.
  const Tensor small = ramp(1, 2, 3);
  RandomCrop up(4, 6, {.seed = 1});
  const Tensor y = up.forward(small, true);
  CHECK(y.shape() == Shape{1, 4, 6, 1});
  CHECK(values(y) == values(up.forward(small, false)));
  CHECK(values(y)[0] == 0.0f);  // the corner repeats the corner
  CHECK(values(y)[1] == Approx(0.25f));
}
