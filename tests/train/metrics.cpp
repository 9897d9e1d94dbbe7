// Metrics: Keras' resolution of "accuracy" from the loss, and each running figure on hand-made batches.
#include <elucid/core/error.hpp>
#include <elucid/train/history.hpp>
#include <elucid/train/metrics.hpp>
#include <elucid/core/format.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace elucid;

TEST_CASE("accuracy resolves from the loss as in Keras", "[metrics]") {
  using K = metrics::Metric::Kind;
  CHECK(metrics::get("accuracy", losses::SparseCategoricalCrossentropy()).kind() == K::SparseCategoricalAccuracy);
  CHECK(metrics::get("accuracy", losses::CategoricalCrossentropy()).kind() == K::CategoricalAccuracy);
  CHECK(metrics::get("acc", losses::BinaryCrossentropy()).kind() == K::BinaryAccuracy);
  CHECK(metrics::get("mae", losses::MeanSquaredError()).kind() == K::MeanAbsoluteError);
  CHECK(metrics::get("accuracy", losses::SparseCategoricalCrossentropy()).name() == "accuracy");
  CHECK_THROWS_WITH(metrics::get("precision", losses::MeanSquaredError()),
                    Catch::StartsWith("unknown metric \"precision\"; known: accuracy"));
  CHECK_THROWS_WITH(losses::get("hinge"), Catch::StartsWith("unknown loss \"hinge\"; known: sparse_categorical"));
  CHECK(losses::get("mse").name() == "mean_squared_error");
  CHECK(losses::get("SparseCategoricalCrossentropy").kind() == losses::Loss::Kind::SparseCategoricalCrossentropy);
}

TEST_CASE("sparse accuracy and top-k over batches", "[metrics]") {
  auto acc = metrics::get("accuracy", losses::SparseCategoricalCrossentropy({.from_logits = true}));
  Tensor logits({3, 3}, std::vector<float>{2, 1, 0,    // argmax 0
                                           0, 5, 1,    // argmax 1
                                           3, 0, 4});  // argmax 2
  acc.update(logits, Tensor({3}, std::vector<float>{0, 1, 0}));
  CHECK(acc.result() == Approx(2.0 / 3));
  acc.update(Tensor({1, 3}, std::vector<float>{0, 0, 1}), Tensor({1}, std::vector<float>{2}));
  CHECK(acc.result() == Approx(3.0 / 4));
  acc.reset();
  CHECK(acc.result() == 0);

  metrics::Metric top2("top2", metrics::Metric::Kind::SparseTopKCategoricalAccuracy, 2);
  top2.update(logits, Tensor({3}, std::vector<float>{1, 2, 1}));  // ranks: 2nd, 2nd, 3rd
  CHECK(top2.result() == Approx(2.0 / 3));
}

TEST_CASE("categorical, binary, mse and mae metrics", "[metrics]") {
  auto cat = metrics::get("accuracy", losses::CategoricalCrossentropy());
  cat.update(Tensor({2, 2}, std::vector<float>{0.9f, 0.1f, 0.3f, 0.7f}), Tensor({2, 2}, std::vector<float>{1, 0, 1, 0}));
  CHECK(cat.result() == Approx(0.5));

  auto bin = metrics::get("accuracy", losses::BinaryCrossentropy());
  bin.update(Tensor({4, 1}, std::vector<float>{0.9f, 0.2f, 0.6f, 0.4f}), Tensor({4, 1}, std::vector<float>{1, 0, 0, 0}));
  CHECK(bin.result() == Approx(0.75));
  auto logit_bin = metrics::get("accuracy", losses::BinaryCrossentropy({.from_logits = true}));
  logit_bin.update(Tensor({2, 1}, std::vector<float>{0.3f, -0.2f}), Tensor({2, 1}, std::vector<float>{1, 0}));
  CHECK(logit_bin.result() == Approx(1.0));

  auto mse = metrics::get("mse", losses::MeanSquaredError());
  mse.update(Tensor({2, 2}, std::vector<float>{1, 2, 3, 4}), Tensor({2, 2}, std::vector<float>{1, 0, 3, 1}));
  CHECK(mse.result() == Approx((4.0 / 2 + 9.0 / 2) / 2));
  auto mae = metrics::get("mae", losses::MeanSquaredError());
  mae.update(Tensor({2, 2}, std::vector<float>{1, 2, 3, 4}), Tensor({2, 2}, std::vector<float>{1, 0, 3, 1}));
  CHECK(mae.result() == Approx((2.0 / 2 + 3.0 / 2) / 2));
  CHECK_THROWS_WITH(mae.update(Tensor({2, 2}), Tensor({3, 2})),
                    "metric mae: predictions (2, 2) and targets (3, 2) differ in batch size");
}

TEST_CASE("History keeps figures per epoch in order", "[history]") {
  History h;
  Logs a;
  a.set("loss", 1.0);
  a.set("accuracy", 0.5);
  h.append(0, a);
  a.set("loss", 0.5);
  a.set("val_loss", 0.7);
  h.append(1, a);
  CHECK(h.epoch == std::vector<int>{0, 1});
  CHECK(h["loss"] == std::vector<double>{1.0, 0.5});
  CHECK(h["val_loss"] == std::vector<double>{0.7});
  CHECK(h.history.front().first == "loss");
  CHECK_THROWS_WITH(h["acc"], "History has no \"acc\"; it has: loss, accuracy, val_loss");
}

TEST_CASE("number formats", "[text]") {
  CHECK(thousands(93322) == "93,322");
  CHECK(thousands(100) == "100");
  CHECK(thousands(1234567) == "1,234,567");
  CHECK(thousands(-1000) == "-1,000");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(0.84731) == "0.84731");
  CHECK(format_number(1e-7) == "1e-07");
}

TEST_CASE("number formats with fixed decimals, as Python's .5f", "[text]") {
  CHECK(format_number(0.34567891234, 5) == "0.34568");
  CHECK(format_number(2.0, 5) == "2.00000");
  CHECK(format_number(-0.000001, 3) == "-0.000");
  CHECK(format_number(std::numeric_limits<double>::infinity(), 5) == "inf");
  CHECK(format_number(-std::numeric_limits<double>::infinity(), 5) == "-inf");
  CHECK(format_number(std::nan(""), 5) == "nan");
  CHECK(format_number(1e300, 2).size() == 304);
}
