// BatchNormalization: weights and names, training vs inference, the moving-statistics update, bad input.
#include <elucid/core/error.hpp>
#include <elucid/layers/batch_normalization.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("BatchNormalization weights: gamma, beta trainable, moving statistics not", "[layers][batch_normalization]") {
  Random rng(0);
  BatchNormalization bn;
  CHECK(bn.build({5, 5, 16}, rng) == Shape{5, 5, 16});
  bn.set_name("batch_normalization");
  CHECK(bn.count_params() == 64);
  auto t = bn.trainable_weights();
  auto n = bn.non_trainable_weights();
  REQUIRE(t.size() == 2);
  REQUIRE(n.size() == 2);
  CHECK(t[0].name == "batch_normalization/gamma");
  CHECK(t[1].name == "batch_normalization/beta");
  CHECK(n[0].name == "batch_normalization/moving_mean");
  CHECK(n[1].name == "batch_normalization/moving_variance");
  CHECK(t[0].tensor.requires_grad());
  CHECK_FALSE(n[0].tensor.requires_grad());
  CHECK(t[0].tensor.values()[3] == 1.0f);  // gamma ones, beta zeros, moving mean zeros, moving variance ones
  CHECK(n[1].tensor.values()[3] == 1.0f);
  CHECK(bn.weights()[2].name == "batch_normalization/moving_mean");
  CHECK(bn.class_name() == "BatchNormalization");
  CHECK(bn.default_name_stem() == "batch_normalization");

  BatchNormalization plain({.center = false, .scale = false});
  plain.build({3}, rng);
  CHECK(plain.trainable_weights().empty());
  CHECK(plain.count_params() == 6);
}

TEST_CASE("BatchNormalization: batch statistics in training, moving ones at inference",
          "[layers][batch_normalization]") {
  Random rng(0);
  BatchNormalization bn({.momentum = 0.9});
  bn.build({2}, rng);
  // Channel 0: 1, 3, 5, 7 (mean 4, biased variance 5); channel 1: 2, 4, 6, 8 (mean 5, variance 5).
  Tensor x({4, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  Tensor y = bn.forward(x, true);
  const double inv = 1.0 / std::sqrt(5.0 + 1e-3);
  CHECK(y.at({0, 0}) == Approx((1 - 4) * inv));
  CHECK(y.at({3, 1}) == Approx((8 - 5) * inv));
  // moving = moving * 0.9 + batch * 0.1, from mean 0 and variance 1.
  auto moving = bn.non_trainable_weights();
  CHECK(moving[0].tensor.values()[0] == Approx(0.4));
  CHECK(moving[0].tensor.values()[1] == Approx(0.5));
  CHECK(moving[1].tensor.values()[0] == Approx(0.9 + 0.5));
  CHECK(moving[1].tensor.values()[1] == Approx(1.4));

  // Inference uses the moving statistics and leaves them alone.
  Tensor z = bn.forward(x, false);
  CHECK(z.at({0, 0}) == Approx((1 - 0.4) / std::sqrt(1.4 + 1e-3)));
  CHECK(z.at({2, 1}) == Approx((6 - 0.5) / std::sqrt(1.4 + 1e-3)));
  CHECK(moving[0].tensor.values()[0] == Approx(0.4));

  // gamma and beta scale and shift the normalised values.
  auto gamma_beta = bn.trainable_weights();
  gamma_beta[0].tensor.fill(2.0f);
  gamma_beta[1].tensor.fill(-1.0f);
  CHECK(bn.forward(x, false).at({0, 0}) == Approx(2 * (1 - 0.4) / std::sqrt(1.4 + 1e-3) - 1).margin(1e-5));
}

TEST_CASE("BatchNormalization rejects other axes, bad momentum and epsilon, wrong inputs",
          "[layers][batch_normalization]") {
  CHECK(BatchNormalization({.axis = 3}).output_shape({4, 4, 3}) == Shape{4, 4, 3});  // the last axis spelled out
  BatchNormalization first_axis({.axis = 1, .name = "bn"});
  CHECK_THROWS_WITH(first_axis.output_shape({4, 4, 3}),
                    "BatchNormalization \"bn\": only the last axis (-1 or 3) is supported, got axis 1");
  CHECK_THROWS_WITH(BatchNormalization().output_shape({}),
                    "BatchNormalization: expects input (..., channels) with channels >= 1, got ()");
  CHECK_THROWS_WITH(BatchNormalization({.momentum = 1.5}), "BatchNormalization: momentum must be in [0, 1], got 1.5");
  CHECK_THROWS_WITH(BatchNormalization({.epsilon = 0}), "BatchNormalization: epsilon must be positive, got 0");
  BatchNormalization bn({.name = "bn"});
  Random rng(0);
  bn.build({3}, rng);
  CHECK_THROWS_WITH(bn.forward(Tensor({4, 5}), true),
                    "BatchNormalization \"bn\": input (4, 5) does not have 3 channels on its last axis");
}
