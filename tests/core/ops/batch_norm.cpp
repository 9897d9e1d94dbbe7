// batch_norm (core/ops/batch_norm.cpp) against a double reference: gradients for x, gamma and beta in training
// (batch statistics) and inference (moving statistics), the moving-average update, and shape errors.
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>
#include <elucid/core/parallel.hpp>

#include <bit>
#include <cmath>
#include <cstdint>

using namespace elucid;
using grad_check::Vec;

namespace {
constexpr float kEpsilon = 1e-3f;

// in = {x (M, C), gamma, beta}; stats: {mean, variance} per channel or empty for the batch's own.
grad_check::RefFn batch_norm_ref(size_t c, Vec moving_mean, Vec moving_var, bool training) {
  return [=](const std::vector<Vec>& in) {
    const size_t m = in[0].size() / c;
    Vec mean(c, 0.0), var(c, 0.0);
    for (size_t j = 0; j < c; ++j) {
      if (!training) {
        mean[j] = moving_mean[j];
        var[j] = moving_var[j];
        continue;
      }
      for (size_t r = 0; r < m; ++r) mean[j] += in[0][r * c + j] / static_cast<double>(m);
      for (size_t r = 0; r < m; ++r) var[j] += std::pow(in[0][r * c + j] - mean[j], 2) / static_cast<double>(m);
    }
    Vec y(in[0].size());
    for (size_t r = 0; r < m; ++r)
      for (size_t j = 0; j < c; ++j)
        y[r * c + j] = in[1][j] * (in[0][r * c + j] - mean[j]) / std::sqrt(var[j] + kEpsilon) + in[2][j];
    return y;
  };
}
}  // namespace

GRAD_TEST("batch_norm", "training and inference, (5, 3), (2, 3, 2, 4) and (6, 20)", "[ops][batch_norm]") {
  for (bool training : {true, false}) {
    // (6, 20): one block of 16 channels summed in vectors, one of 4 in the narrower loop
    for (const Shape& s : {Shape{5, 3}, Shape{2, 3, 2, 4}, Shape{6, 20}}) {
      INFO((training ? "training" : "inference") << " on " << to_string(s));
      const int64_t c = s.back();
      Tensor moving_mean = grad_check::random_tensor({c}, 110, -0.5f, 0.5f, false);
      Tensor moving_var = grad_check::random_tensor({c}, 111, 0.5f, 2.0f, false);
      const Vec mm = grad_check::to_double(moving_mean), mv = grad_check::to_double(moving_var);
      grad_check::check_gradients(
          "batch_norm",
          {grad_check::random_tensor(s, 112, -2, 2), grad_check::random_tensor({c}, 113, 0.5f, 1.5f),
           grad_check::random_tensor({c}, 114)},
          [&](const std::vector<Tensor>& in) {
            return ops::batch_norm(in[0], in[1], in[2], moving_mean, moving_var, 0.99f, kEpsilon, training);
          },
          batch_norm_ref(static_cast<size_t>(c), mm, mv, training), {{1e-5, 1e-4}, {1e-4, 1e-3}, 1e-6, 99});
    }
  }
}

GRAD_TEST("batch_norm_relu", "training and inference, (5, 3), (2, 3, 2, 4) and (6, 20)", "[ops][batch_norm]") {
  for (bool training : {true, false})
    for (const Shape& s : {Shape{5, 3}, Shape{2, 3, 2, 4}, Shape{6, 20}}) {
      INFO((training ? "training" : "inference") << " on " << to_string(s));
      const int64_t c = s.back();
      Tensor moving_mean = grad_check::random_tensor({c}, 115, -0.5f, 0.5f, false);
      Tensor moving_var = grad_check::random_tensor({c}, 116, 0.5f, 2.0f, false);
      const grad_check::RefFn bn = batch_norm_ref(static_cast<size_t>(c), grad_check::to_double(moving_mean),
                                                  grad_check::to_double(moving_var), training);
      grad_check::check_gradients(
          "batch_norm_relu",
          {grad_check::random_tensor(s, 117, -2, 2), grad_check::random_tensor({c}, 118, 0.5f, 1.5f),
           grad_check::random_tensor({c}, 119)},
          [&](const std::vector<Tensor>& in) {
            return ops::batch_norm_relu(in[0], in[1], in[2], moving_mean, moving_var, 0.99f, kEpsilon, training);
          },
          [bn](const std::vector<Vec>& in) {
            Vec y = bn(in);
            for (double& v : y) v = v > 0 ? v : 0.0;
            return y;
          },
          {{1e-5, 1e-4}, {1e-4, 1e-3}, 1e-6, 99});
    }
}

TEST_CASE("batch_norm_relu gives the bits of relu(batch_norm) forward and backward", "[ops][batch_norm]") {
  // 40 channels (blocks of 16, 16 and 8) over 700 rows, training and inference; x is read twice, so its gradient is
  // first assigned (fresh) and then added to.
  for (bool training : {true, false}) {
    INFO((training ? "training" : "inference"));
    auto run = [training](bool fused) {
      constexpr int64_t kRows = 700, kChannels = 40;
      Tensor x = grad_check::random_tensor({kRows, kChannels}, 124, -2, 2);
      Tensor gamma = grad_check::random_tensor({kChannels}, 125, 0.5f, 1.5f);
      Tensor beta = grad_check::random_tensor({kChannels}, 126);
      const Tensor dy = grad_check::random_tensor({kRows, kChannels}, 127, -1, 1, false);
      Tensor mean = grad_check::random_tensor({kChannels}, 128, -0.5f, 0.5f, false);
      Tensor var = grad_check::random_tensor({kChannels}, 129, 0.5f, 2.0f, false);
      const Tensor y = fused ? ops::batch_norm_relu(x, gamma, beta, mean, var, 0.9f, kEpsilon, training)
                             : ops::relu(ops::batch_norm(x, gamma, beta, mean, var, 0.9f, kEpsilon, training));
      ops::add(ops::sum(ops::mul(y, dy)), ops::sum(ops::mul(x, dy))).backward();
      return std::vector<std::vector<float>>{test::values_of(y),         test::values_of(x.grad()),
                                             test::values_of(gamma.grad()), test::values_of(beta.grad()),
                                             test::values_of(mean),      test::values_of(var)};
    };
    const auto fused = run(true), apart = run(false);
    for (size_t i = 0; i < fused.size(); ++i) {
      INFO("result " << i << " of y, dx, dgamma, dbeta, moving mean and variance");
      CHECK(test::same_bits(fused[i], apart[i]));
    }
  }
}

TEST_CASE("batch_norm_relu and add_relu give the same bits at 1 and 2 threads", "[ops][batch_norm][threads]") {
  // 1100 x 40 = 44,000 elements: enough for the passes to split over the threads (blocks of channels and of rows).
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({1100, 40}, 130, -2, 2), skip = grad_check::random_tensor({1100, 40}, 131);
    Tensor gamma = grad_check::random_tensor({40}, 132, 0.5f, 1.5f), beta = grad_check::random_tensor({40}, 133);
    Tensor mean = Tensor::zeros({40}), var = Tensor::ones({40});
    const Tensor y = ops::add_relu(ops::batch_norm_relu(x, gamma, beta, mean, var, 0.9f, kEpsilon, true), skip);
    ops::sum(ops::mul(y, grad_check::random_tensor({1100, 40}, 134, -1, 1, false))).backward();
    return std::vector<std::vector<float>>{test::values_of(y),          test::values_of(x.grad()),
                                           test::values_of(skip.grad()), test::values_of(gamma.grad()),
                                           test::values_of(beta.grad()), test::values_of(var)};
  };
  const auto one = run(1), two = run(2);
  set_num_threads(0);
  for (size_t i = 0; i < one.size(); ++i) {
    INFO("result " << i << " of y, dx, dskip, dgamma, dbeta, moving variance");
    CHECK(test::same_bits(one[i], two[i]));
  }
}

TEST_CASE("batch_norm gives each channel the bits of that channel alone", "[ops][batch_norm]") {
  // 40 channels (blocks of 16, 16 and 8) over 700 rows, against each channel normalised on its own (the narrow
  // loop): outputs, the input gradient, gamma's and beta's, and the moving statistics.
  constexpr int64_t kRows = 700, kChannels = 40;
  const Tensor x = grad_check::random_tensor({kRows, kChannels}, 120, -2, 2);
  const Tensor gamma = grad_check::random_tensor({kChannels}, 121, 0.5f, 1.5f);
  const Tensor beta = grad_check::random_tensor({kChannels}, 122);
  const Tensor dy = grad_check::random_tensor({kRows, kChannels}, 123, -1, 1, false);
  Tensor mean = Tensor::zeros({kChannels}), var = Tensor::ones({kChannels});
  const Tensor y = ops::batch_norm(x, gamma, beta, mean, var, 0.9f, kEpsilon, true);
  ops::sum(ops::mul(y, dy)).backward();
  for (int64_t j = 0; j < kChannels; ++j) {
    INFO("channel " << j);
    std::vector<float> xj(kRows), dyj(kRows);
    for (int64_t r = 0; r < kRows; ++r) {
      xj[static_cast<size_t>(r)] = x.data()[r * kChannels + j];
      dyj[static_cast<size_t>(r)] = dy.data()[r * kChannels + j];
    }
    Tensor x1({kRows, 1}, xj), g1({1}, std::vector<float>{gamma.data()[j]}), b1({1}, std::vector<float>{beta.data()[j]});
    x1.set_requires_grad(true);
    g1.set_requires_grad(true);
    b1.set_requires_grad(true);
    Tensor mean1 = Tensor::zeros({1}), var1 = Tensor::ones({1});
    const Tensor y1 = ops::batch_norm(x1, g1, b1, mean1, var1, 0.9f, kEpsilon, true);
    ops::sum(ops::mul(y1, Tensor({kRows, 1}, dyj))).backward();
    bool same = true;
    for (int64_t r = 0; r < kRows; ++r) {
      same = same && std::bit_cast<uint32_t>(y.data()[r * kChannels + j]) == std::bit_cast<uint32_t>(y1.data()[r]);
      same = same && std::bit_cast<uint32_t>(x.grad().data()[r * kChannels + j]) ==
                         std::bit_cast<uint32_t>(x1.grad().data()[r]);
    }
    CHECK(same);
    CHECK(std::bit_cast<uint32_t>(gamma.grad().data()[j]) == std::bit_cast<uint32_t>(g1.grad().item()));
    CHECK(std::bit_cast<uint32_t>(beta.grad().data()[j]) == std::bit_cast<uint32_t>(b1.grad().item()));
    CHECK(std::bit_cast<uint32_t>(mean.data()[j]) == std::bit_cast<uint32_t>(mean1.item()));
    CHECK(std::bit_cast<uint32_t>(var.data()[j]) == std::bit_cast<uint32_t>(var1.item()));
  }
}

TEST_CASE("batch_norm updates the moving statistics with the biased batch variance", "[ops][batch_norm]") {
  Tensor x({4, 1}, std::vector<float>{1, 2, 3, 6});  // mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
  Tensor mean = Tensor::zeros({1}), var = Tensor::ones({1});
  Tensor y = ops::batch_norm(x, Tensor(), Tensor(), mean, var, 0.9f, 1e-3f, true);
  CHECK(mean.item() == Approx(0.3));
  CHECK(var.item() == Approx(0.9 + 0.35));
  CHECK(y.at({3, 0}) == Approx(3 / std::sqrt(3.5 + 1e-3)));
  ops::batch_norm(x, Tensor(), Tensor(), mean, var, 0.9f, 1e-3f, false);
  CHECK(mean.item() == Approx(0.3));  // inference leaves them alone
}

TEST_CASE("batch_norm's statistics keep their digits for a channel far from zero", "[ops][batch_norm]") {
  // Each channel 10000 plus a few of float's steps there (2^-10): variance about 1e-6 beside a squared mean of 1e8.
  // One pass of sum(x) and sum(x^2) would cancel 14 of double's 16 digits; the sums taken from the channel's first
  // value keep them (a vector block of 16 channels and a narrow block of 4).
  constexpr int64_t kRows = 999, kChannels = 20;
  std::vector<float> values(static_cast<size_t>(kRows * kChannels));
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t j = 0; j < kChannels; ++j)
      values[static_cast<size_t>(r * kChannels + j)] = 10000.0f + static_cast<float>((r * (j + 1)) % 23) / 1024.0f;
  Tensor mean = Tensor::zeros({kChannels}), var = Tensor::zeros({kChannels});
  ops::batch_norm(Tensor({kRows, kChannels}, values), Tensor(), Tensor(), mean, var, 0.0f, 1e-3f, true);
  for (int64_t j = 0; j < kChannels; ++j) {
    double want_mean = 0.0, want_var = 0.0;
    for (int64_t r = 0; r < kRows; ++r) want_mean += values[static_cast<size_t>(r * kChannels + j)] / double{kRows};
    for (int64_t r = 0; r < kRows; ++r)
      want_var += std::pow(values[static_cast<size_t>(r * kChannels + j)] - want_mean, 2) / double{kRows};
    INFO("channel " << j << ": variance " << var.data()[j] << ", want " << want_var);
    CHECK(mean.data()[j] == static_cast<float>(want_mean));
    CHECK(std::fabs(var.data()[j] - want_var) <= 1e-6 * want_var);
  }
}

TEST_CASE("batch_norm names the input and the parameter that does not fit", "[ops][batch_norm]") {
  Tensor mean = Tensor::zeros({3}), var = Tensor::ones({3});
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor({2}), Tensor(), mean, var, 0.99f, 1e-3f, true),
                    "batch_norm: input (4, 3) and gamma (2,): gamma must have shape (3,)");
  Tensor bad_var = Tensor::ones({4});
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor(), Tensor(), mean, bad_var, 0.99f, 1e-3f, false),
                    "batch_norm: input (4, 3) and moving_variance (4,): moving_variance must have shape (3,)");
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor(), Tensor(), mean, var, 0.99f, 0.0f, false),
                    "batch_norm: epsilon must be > 0, got 0.000000");
}
