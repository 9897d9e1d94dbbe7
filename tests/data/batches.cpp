// Batches: every sample once per epoch, the same seed the same order, the partial last batch, resumable position.
#include <elucid/core/error.hpp>
#include <elucid/data/batches.hpp>
#include <elucid/data/tensor_dataset.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace elucid;
using namespace elucid::data;

namespace {
// x (n, 3) whose row i is (i, i, i), y (n) = i: each batch tells which samples it holds.
std::shared_ptr<TensorDataset> numbered(int64_t n) {
  Tensor x({n, 3}), y({n});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 3; ++j) x.at({i, j}) = static_cast<float>(i);
    y.at({i}) = static_cast<float>(i);
  }
  return std::make_shared<TensorDataset>(x, y);
}

std::vector<int64_t> epoch_labels(Batches& batches) {
  std::vector<int64_t> seen;
  while (auto b = batches.next()) {
    for (int64_t i = 0; i < b->y.size(); ++i) {
      seen.push_back(static_cast<int64_t>(b->y.values()[static_cast<size_t>(i)]));
      CHECK(b->x.at({i, 2}) == b->y.values()[static_cast<size_t>(i)]);  // x rows travel with their labels
    }
  }
  return seen;
}
}  // namespace

TEST_CASE("Batches sees every sample once per epoch and keeps the partial last batch", "[data][batches]") {
  Batches batches(numbered(10), 4, true, 7);
  CHECK(batches.num_batches() == 3);
  std::vector<int64_t> sizes;
  std::vector<int64_t> seen;
  while (auto b = batches.next()) {
    sizes.push_back(b->x.dim(0));
    CHECK(b->x.shape() == Shape{b->x.dim(0), 3});
    CHECK(b->y.shape() == Shape{b->x.dim(0)});
    for (float v : b->y.values()) seen.push_back(static_cast<int64_t>(v));
  }
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(seen != sorted);  // shuffled (the chance of the identity is 1 / 10!)
  CHECK_FALSE(batches.next());
}

TEST_CASE("Batches: same seed same order, a new order each epoch, no shuffle keeps order", "[data][batches]") {
  auto d = numbered(50);
  Batches a(d, 8, true, 123), b(d, 8, true, 123), c(d, 8, true, 124);
  const auto a0 = epoch_labels(a), b0 = epoch_labels(b), c0 = epoch_labels(c);
  CHECK(a0 == b0);
  CHECK(a0 != c0);
  a.start_epoch(1);
  const auto a1 = epoch_labels(a);
  CHECK(a1 != a0);
  std::vector<int64_t> s1 = a1;
  std::sort(s1.begin(), s1.end());
  CHECK(s1.size() == 50);
  CHECK(std::adjacent_find(s1.begin(), s1.end()) == s1.end());

  Batches plain(d, 8, false);
  const auto p = epoch_labels(plain);
  for (size_t i = 0; i < p.size(); ++i) CHECK(p[i] == static_cast<int64_t>(i));
}

TEST_CASE("Batches position and seek resume the same batches", "[data][batches]") {
  auto d = numbered(23);
  Batches a(d, 5, true, 9);
  a.start_epoch(2);
  a.next();
  a.next();
  const BatchPosition pos = a.position();
  CHECK(pos.epoch == 2);
  CHECK(pos.batch == 2);
  const auto rest_a = epoch_labels(a);

  Batches b(d, 5, true, 9);
  b.seek(pos);
  CHECK(epoch_labels(b) == rest_a);
  CHECK_THROWS_WITH(b.seek({0, 6}), "Batches: batch 6 is outside an epoch of 5 batches");
}

TEST_CASE("Batches reuses a batch's storage in place and checks its arguments", "[data][batches]") {
  Batches a(numbered(10), 4, false);
  Batch batch;
  REQUIRE(a.next(batch));
  const float* first = batch.x.data();
  REQUIRE(a.next(batch));
  CHECK(batch.x.data() == first);  // same shape: same storage
  CHECK(batch.y.values()[0] == 4);
  REQUIRE(a.next(batch));
  CHECK(batch.x.dim(0) == 2);
  CHECK_FALSE(a.next(batch));

  Batches empty(std::make_shared<TensorDataset>(Tensor(Shape{0, 3}), Tensor(Shape{0})), 4);
  CHECK(empty.num_batches() == 0);
  CHECK_FALSE(empty.next());
  CHECK_THROWS_WITH(Batches(numbered(3), 0), "Batches: batch_size must be at least 1, got 0");
  CHECK_THROWS_WITH(Batches(nullptr, 4), "Batches: the data set is null");
}
