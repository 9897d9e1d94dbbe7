// Reshape: target shapes with and without -1, row-major order, the gradient, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/reshape.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Reshape gives each sample the target shape, one -1 taking what is left", "[layers][reshape]") {
  CHECK(Reshape({28, 28, 1}).output_shape({784}) == Shape{28, 28, 1});
  CHECK(Reshape({-1, 4}).output_shape({3, 4, 2}) == Shape{6, 4});
  CHECK(Reshape({2, -1, 3}).output_shape({12}) == Shape{2, 2, 3});
  CHECK(Reshape({-1}).output_shape({5, 5, 64}) == Shape{1600});
  Reshape r({-1, 4});
  CHECK(r.target_shape() == Shape{-1, 4});  // kept as given, for Keras JSON
  CHECK(r.class_name() == "Reshape");
  CHECK(r.default_name_stem() == "reshape");
  Random rng(0);
  r.build({8}, rng);
  CHECK(r.count_params() == 0);
}

TEST_CASE("Reshape forward keeps row-major order, and the gradient comes back unchanged", "[layers][reshape]") {
  Tensor x({2, 6}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  x.set_requires_grad();
  Tensor y = Reshape({3, -1}).forward(x, true);
  REQUIRE(y.shape() == Shape{2, 3, 2});
  CHECK(y.at({0, 1, 0}) == 2.0f);
  CHECK(y.at({1, 2, 1}) == 11.0f);
  Tensor w({2, 3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  ops::sum(ops::mul(y, w)).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) ==
        std::vector<float>(w.values().begin(), w.values().end()));
}

TEST_CASE("Reshape refuses a bad target shape and element counts that do not match", "[layers][reshape]") {
  CHECK_THROWS_WITH(Reshape({-1, -1}, {.name = "r"}),
                    "Reshape \"r\": target_shape must be sizes >= 1 with at most one -1, got (-1, -1)");
  CHECK_THROWS_WITH(Reshape({0, 4}), "Reshape: target_shape must be sizes >= 1 with at most one -1, got (0, 4)");
  CHECK_THROWS_WITH(Reshape({}), "Reshape: target_shape must be sizes >= 1 with at most one -1, got ()");
  Reshape r({30, -1}, {.name = "reshape_1"});
  CHECK_THROWS_WITH(r.output_shape({28, 28, 1}), "Reshape \"reshape_1\": cannot reshape input (28, 28, 1) (784 values) to (30, -1)");
  CHECK_THROWS_WITH(Reshape({7, 7}).output_shape({50}), "Reshape: cannot reshape input (50,) (50 values) to (7, 7)");
  CHECK_THROWS_WITH(Reshape({int64_t{1} << 40, int64_t{1} << 40}).output_shape({4}),
                    "Reshape: cannot reshape input (4,) (4 values) to (1099511627776, 1099511627776)");
  CHECK_THROWS_WITH(Reshape({8, -1}).output_shape({4}), "Reshape: cannot reshape input (4,) (4 values) to (8, -1)");
  CHECK_THROWS_WITH(r.forward(Tensor({2, 28, 28, 1}), false),
                    "Reshape \"reshape_1\": cannot reshape input (28, 28, 1) (784 values) to (30, -1)");
}
