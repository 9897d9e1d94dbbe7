// Learning-rate schedules at chosen steps against values worked out by hand, and their bad options.
#include <elucid/core/error.hpp>
#include <elucid/optim/learning_rate.hpp>
#include <elucid/optim/schedules.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace elucid;
using namespace elucid::optimizers;
using namespace elucid::optimizers::schedules;

TEST_CASE("ExponentialDecay: initial * rate^(step / decay_steps), floored with staircase", "[schedules]") {
  const ExponentialDecay smooth(0.1f, 10, 0.5f);
  CHECK(smooth(0) == Approx(0.1));
  CHECK(smooth(5) == Approx(0.1 * std::sqrt(0.5)));  // 0.0707107
  CHECK(smooth(10) == Approx(0.05));
  CHECK(smooth(15) == Approx(0.1 * std::pow(0.5, 1.5)));  // 0.0353553
  CHECK(smooth(30) == Approx(0.0125));

  const ExponentialDecay stairs(0.1f, 10, 0.5f, /*staircase=*/true);
  CHECK(stairs(0) == Approx(0.1));
  CHECK(stairs(9) == Approx(0.1));    // floor(0.9) = 0
  CHECK(stairs(10) == Approx(0.05));  // floor(1.0) = 1
  CHECK(stairs(19) == Approx(0.05));
  CHECK(stairs(20) == Approx(0.025));
  CHECK(stairs.name() == "ExponentialDecay");
}

TEST_CASE("PiecewiseConstantDecay: values i up to and including boundary i", "[schedules]") {
  const PiecewiseConstantDecay piecewise({10, 20}, {1.0f, 0.5f, 0.1f});
  CHECK(piecewise(0) == 1.0f);
  CHECK(piecewise(10) == 1.0f);  // step <= boundaries[0]
  CHECK(piecewise(11) == 0.5f);
  CHECK(piecewise(20) == 0.5f);  // step <= boundaries[1]
  CHECK(piecewise(21) == 0.1f);
  CHECK(piecewise(1000000) == 0.1f);

  const PiecewiseConstantDecay constant({}, {0.25f});
  CHECK(constant(0) == 0.25f);
  CHECK(constant(99) == 0.25f);
}

TEST_CASE("CosineDecay: half a cosine from initial to initial * alpha, with optional warmup", "[schedules]") {
  const CosineDecay cosine(1.0f, 10, /*alpha=*/0.1);
  CHECK(cosine(0) == Approx(1.0));
  // step 5: (1 - 0.1) * 0.5 * (1 + cos(pi / 2)) + 0.1 = 0.55
  CHECK(cosine(5) == Approx(0.55));
  // step 2: 0.9 * 0.5 * (1 + cos(0.2 pi)) + 0.1 = 0.45 * 1.809017 + 0.1 = 0.9140576
  CHECK(cosine(2) == Approx(0.9140576));
  CHECK(cosine(10) == Approx(0.1));
  CHECK(cosine(25) == Approx(0.1));  // stays at initial * alpha after decay_steps

  // Warmup from 0 to 1 over 4 steps, then decay from 1 to 0 over 10 steps.
  const CosineDecay warm(0.0f, 10, 0.0, /*warmup_target=*/1.0f, /*warmup_steps=*/4);
  CHECK(warm(0) == Approx(0.0));
  CHECK(warm(1) == Approx(0.25));  // (1 - 0) * 1 / 4 + 0
  CHECK(warm(2) == Approx(0.5));
  CHECK(warm(4) == Approx(1.0));   // the decay starts at the warmup target
  CHECK(warm(9) == Approx(0.5));   // decay step 5 of 10: 0.5 * (1 + cos(pi / 2))
  CHECK(warm(14) == Approx(0.0).margin(1e-7));
  CHECK(warm(100) == Approx(0.0).margin(1e-7));
}

TEST_CASE("LearningRate holds a number or a schedule", "[schedules]") {
  const LearningRate constant = 0.001;
  CHECK(constant.is_constant());
  CHECK(constant.at(12345) == 0.001f);
  CHECK(constant.schedule() == nullptr);
  const LearningRate from_int = 1;
  CHECK(from_int.at(0) == 1.0f);

  const LearningRate scheduled = ExponentialDecay(0.1f, 10, 0.5f, true);
  CHECK_FALSE(scheduled.is_constant());
  CHECK(scheduled.at(10) == Approx(0.05));
  REQUIRE(scheduled.schedule() != nullptr);
  CHECK(scheduled.schedule()->name() == "ExponentialDecay");
  CHECK_THROWS_WITH(LearningRate(std::shared_ptr<const Schedule>()), "LearningRate: the schedule is null");
}

TEST_CASE("Schedules reject bad options, naming the schedule, the option and the value", "[schedules]") {
  CHECK_THROWS_WITH(ExponentialDecay(0.1f, 0, 0.5f), "ExponentialDecay: decay_steps must be > 0, got 0");
  CHECK_THROWS_WITH(ExponentialDecay(0.1f, -5, 0.5f), "ExponentialDecay: decay_steps must be > 0, got -5");
  CHECK_THROWS_WITH(ExponentialDecay(-0.1f, 10, 0.5f),
                    "ExponentialDecay: initial_learning_rate must be >= 0, got -0.1");
  CHECK_THROWS_WITH(ExponentialDecay(0.1f, 10, -0.5f), "ExponentialDecay: decay_rate must be >= 0, got -0.5");
  CHECK_THROWS_WITH(ExponentialDecay(std::numeric_limits<float>::quiet_NaN(), 10, 0.5f),
                    "ExponentialDecay: initial_learning_rate must be >= 0, got nan");

  CHECK_THROWS_WITH(PiecewiseConstantDecay({10, 20}, {1.0f, 0.5f}),
                    "PiecewiseConstantDecay: values must have one more element than boundaries, got 2 boundaries "
                    "and 2 values");
  CHECK_THROWS_WITH(PiecewiseConstantDecay({10}, {1.0f, 0.5f, 0.1f}),
                    "PiecewiseConstantDecay: values must have one more element than boundaries, got 1 boundaries "
                    "and 3 values");
  CHECK_THROWS_WITH(PiecewiseConstantDecay({20, 10}, {1.0f, 0.5f, 0.1f}),
                    "PiecewiseConstantDecay: boundaries must increase strictly, got 20 then 10 at index 1");
  CHECK_THROWS_WITH(PiecewiseConstantDecay({10}, {1.0f, -0.5f}),
                    "PiecewiseConstantDecay: each of values must be >= 0, got -0.5");

  CHECK_THROWS_WITH(CosineDecay(1.0f, 0), "CosineDecay: decay_steps must be > 0, got 0");
  CHECK_THROWS_WITH(CosineDecay(1.0f, 10, 1.5), "CosineDecay: alpha must be in [0, 1], got 1.5");
  CHECK_THROWS_WITH(CosineDecay(1.0f, 10, 0.0, 1.0f, -1), "CosineDecay: warmup_steps must be >= 0, got -1");
  CHECK_THROWS_WITH(CosineDecay(1.0f, 10, 0.0, -1.0f, 5), "CosineDecay: warmup_target must be >= 0, got -1");
  CHECK_THROWS_AS(CosineDecay(-1.0f, 10), Error);
}
