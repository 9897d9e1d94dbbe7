// Dataset views: TensorDataset, subset, the Keras validation split (last samples) and to_tensors.
#include <elucid/core/error.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/data/image_dataset.hpp>
#include <elucid/data/tensor_dataset.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::data;

namespace {
// x (n, 2) with rows (10 i, 10 i + 1), y (n) = i.
std::shared_ptr<TensorDataset> counting(int64_t n) {
  Tensor x({n, 2}), y({n});
  for (int64_t i = 0; i < n; ++i) {
    x.at({i, 0}) = static_cast<float>(10 * i);
    x.at({i, 1}) = static_cast<float>(10 * i + 1);
    y.at({i}) = static_cast<float>(i);
  }
  return std::make_shared<TensorDataset>(x, y, std::vector<std::string>{"a", "b"});
}
}  // namespace

TEST_CASE("TensorDataset fills the requested rows in order", "[data][dataset]") {
  auto d = counting(5);
  CHECK(d->size() == 5);
  CHECK(d->sample_shape() == Shape{2});
  CHECK(d->label_shape() == Shape{});
  std::vector<int64_t> idx{3, 0};
  float x[4], y[2];
  d->fill(idx, x, y);
  CHECK(x[0] == 30);
  CHECK(x[1] == 31);
  CHECK(x[2] == 0);
  CHECK(x[3] == 1);
  CHECK(y[0] == 3);
  CHECK(y[1] == 0);
  std::vector<int64_t> bad{5};
  CHECK_THROWS_WITH(d->fill(bad, x, y), "TensorDataset: sample index 5 is outside [0, 5)");
}

TEST_CASE("TensorDataset takes one-hot labels and rejects mismatched counts", "[data][dataset]") {
  TensorDataset d(Tensor({4, 3, 3, 1}), Tensor({4, 10}));
  CHECK(d.sample_shape() == Shape{3, 3, 1});
  CHECK(d.label_shape() == Shape{10});
  CHECK_THROWS_WITH(TensorDataset(Tensor({4, 2}), Tensor({3})),
                    "TensorDataset: x (4, 2) has 4 samples but y (3,) has 3");
  CHECK_THROWS_WITH(TensorDataset(Tensor({4, 2}), Tensor::scalar(1)),
                    "TensorDataset: x (4, 2) and y () must both have a sample axis first");
}

TEST_CASE("split_last takes the last samples, as Keras validation_split", "[data][dataset]") {
  auto d = counting(10);
  auto [train, val] = split_last(d, 0.25);  // floor(10 * 0.75) = 7 for training
  REQUIRE(train->size() == 7);
  REQUIRE(val->size() == 3);
  auto [vx, vy] = to_tensors(*val);
  CHECK(vx.shape() == Shape{3, 2});
  CHECK(vy.at({0}) == 7);
  CHECK(vy.at({2}) == 9);
  CHECK(vx.at({2, 1}) == 91);
  auto [tx, ty] = to_tensors(*train);
  CHECK(ty.at({0}) == 0);
  CHECK(ty.at({6}) == 6);
  CHECK(val->class_names() == std::vector<std::string>{"a", "b"});

  // Keras on 60000 samples with 0.1: 54000 / 6000.
  auto big = std::make_shared<TensorDataset>(Tensor({60000, 1}), Tensor({60000}));
  auto [t2, v2] = split_last(big, 0.1);
  CHECK(t2->size() == 54000);
  CHECK(v2->size() == 6000);

  CHECK_THROWS_WITH(split_last(d, 0.0), Catch::Contains("between 0 and 1"));
  CHECK_THROWS_WITH(split_last(d, 1.0), Catch::Contains("between 0 and 1"));
  CHECK_THROWS_WITH(split_last(counting(1), 0.5), Catch::Contains("cannot split 1 samples"));
}

TEST_CASE("subset views by range and by index list, checked", "[data][dataset]") {
  auto d = counting(6);
  auto mid = subset(d, 2, 5);
  auto [x, y] = to_tensors(*mid);
  CHECK(y.values()[0] == 2);
  CHECK(y.values()[2] == 4);
  auto picked = subset(mid, std::vector<int64_t>{2, 0});
  auto [px, py] = to_tensors(*picked);
  CHECK(py.values()[0] == 4);
  CHECK(py.values()[1] == 2);
  CHECK(px.at({0, 1}) == 41);
  CHECK_THROWS_WITH(subset(d, 4, 7), "subset: range [4, 7) is not inside a data set of 6 samples");
  CHECK_THROWS_WITH(subset(d, std::vector<int64_t>{1, -1}), "subset: sample index -1 is outside [0, 6)");
  float buf[2], lab[1];
  std::vector<int64_t> bad{3};
  CHECK_THROWS_WITH(mid->fill(bad, buf, lab), "subset: sample index 3 is outside [0, 3)");
}

TEST_CASE("one_hot turns class indices into rows, as keras.utils.to_categorical", "[data][dataset]") {
  auto d = counting(3);  // labels 0, 1, 2 and two class names
  auto hot = one_hot(d, 4);
  CHECK(hot->label_shape() == Shape{4});
  auto [x, y] = to_tensors(*hot);
  CHECK(x.at({2, 0}) == 20);
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) ==
        std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
  CHECK_THROWS_WITH(to_tensors(*one_hot(d)), "one_hot: label 2 of sample 2 is not a class index in [0, 2)");
  CHECK_THROWS_WITH(one_hot(hot), "one_hot: labels must be class indices of shape (), the data set's labels are (4,)");
  auto unnamed = std::make_shared<TensorDataset>(Tensor({2, 1}), Tensor({2}));
  CHECK_THROWS_WITH(one_hot(unnamed), Catch::StartsWith("one_hot: the number of classes is unknown"));
}

TEST_CASE("ImageDataset turns every byte into pixel / 255 (or the byte), the float numpy's x / 255 gives", "[data][dataset]") {
  // Two images of 16 x 16 x 1 holding every byte value (the second reversed), so the conversion's vector loop and
  // its tail both see all values; filled in the order asked for.
  std::vector<uint8_t> pixels(512);
  for (int v = 0; v < 256; ++v) {
    pixels[static_cast<size_t>(v)] = static_cast<uint8_t>(v);
    pixels[static_cast<size_t>(511 - v)] = static_cast<uint8_t>(v);
  }
  for (const bool rescale : {true, false}) {
    const data::ImageDataset images({2, 16, 16, 1}, pixels, {3, 1}, {}, rescale);
    std::vector<float> x(512), y(2);
    const std::vector<int64_t> order{1, 0};
    images.fill(order, x.data(), y.data());
    INFO("rescale " << rescale);
    CHECK(y == std::vector<float>{1, 3});
    for (int v = 0; v < 256; ++v) {
      // Correctly rounded v / 255, from double: what numpy's float32(x / 255) gives.
      const float expected = rescale ? static_cast<float>(static_cast<double>(v) / 255.0) : static_cast<float>(v);
      CHECK(x[static_cast<size_t>(256 + v)] == expected);
      CHECK(x[static_cast<size_t>(255 - v)] == expected);
    }
  }
}
