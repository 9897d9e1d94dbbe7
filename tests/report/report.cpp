// Pictures: confusion matrix counts and SVG, training curves SVG, the PNG image grid decoded back.
#include <elucid/core/error.hpp>
#include <elucid/report/confusion_matrix.hpp>
#include <elucid/report/image_grid.hpp>
#include <elucid/report/svg.hpp>
#include <elucid/report/training_curves.hpp>

#include <stb/stb_image.h>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::report;

namespace {
size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("confusion matrix counts, accuracy per class, and its picture", "[report]") {
  ConfusionMatrix m(3);
  Tensor scores({4, 3}, std::vector<float>{0.9f, 0.1f, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1});
  m.add(scores, Tensor({4}, std::vector<float>{0, 1, 2, 2}));
  CHECK(m.count(0, 0) == 1);
  CHECK(m.count(2, 1) == 1);
  CHECK(m.total() == 4);
  CHECK(m.accuracy() == 0.75);
  CHECK(m.class_accuracy(2) == 0.5);
  CHECK_THROWS_WITH(m.add(scores, Tensor({4}, std::vector<float>{0, 1, 5, 2})),
                    "ConfusionMatrix: label 5 of sample 2 is outside [0, 3)");
  const std::string svg = confusion_matrix_svg(m, {"T-shirt/top", "Trouser", "A & B"}, "Confusion matrix");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count(svg, "<rect x=") == 9);
  CHECK(svg.find("A &amp; B") != std::string::npos);
  CHECK(svg.find("Predicted label") != std::string::npos);
  CHECK(svg.find("True label") != std::string::npos);
}

TEST_CASE("training curves draw a panel per figure with both lines and a legend", "[report]") {
  History h;
  for (int e = 0; e < 3; ++e) {
    Logs logs;
    logs.set("loss", 1.0 / (e + 1));
    logs.set("accuracy", 0.5 + 0.1 * e);
    logs.set("val_loss", 1.2 / (e + 1));
    logs.set("val_accuracy", 0.45 + 0.1 * e);
    logs.set("lr", 0.001);
    h.append(e, logs);
  }
  const std::string svg = training_curves_svg(h, "Seed model");
  CHECK(count(svg, "<polyline") == 4);
  CHECK(count(svg, ">Epoch</text>") == 2);
  CHECK(count(svg, ">training</text>") == 2);
  CHECK(count(svg, ">validation</text>") == 2);
  CHECK(svg.find(">lr<") == std::string::npos);
  CHECK_THROWS_WITH(training_curves_svg(History{}, "x"), "training curves: the History holds no epochs");
}

TEST_CASE("nice ticks are round and cover the range", "[report]") {
  auto unit = nice_ticks(0.0, 1.0);
  REQUIRE(unit.size() == 6);
  for (size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == Approx(0.2 * static_cast<double>(i)));
  auto t = nice_ticks(0.23, 0.71);
  CHECK(t.front() >= 0.23 - 1e-12);
  CHECK(t.back() <= 0.71 + 1e-12);
  CHECK(t.size() >= 3);
  CHECK(num(0.5) == "0.5");
  CHECK(num(2.0) == "2");
}

TEST_CASE("image grid is a PNG of the expected size with mistakes framed in red", "[report]") {
  Tensor images({3, 8, 8, 1}, 0.5f);
  Tensor scores({3, 2}, std::vector<float>{1, 0, 0, 1, 1, 0});
  Tensor labels({3}, std::vector<float>{0, 1, 1});  // the third is a mistake
  const std::string png = image_grid_png(images, scores, labels, {"zero", "one"}, {.columns = 3, .scale = 2});
  int w = 0, h = 0, c = 0;
  unsigned char* pixels = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                                static_cast<int>(png.size()), &w, &h, &c, 3);
  REQUIRE(pixels != nullptr);
  CHECK(w > 3 * 16);
  CHECK(h > 16);
  int red = 0;
  for (int i = 0; i < w * h; ++i) red += pixels[i * 3] == 200 && pixels[i * 3 + 1] == 30 && pixels[i * 3 + 2] == 30;
  stbi_image_free(pixels);
  CHECK(red > 4 * 16);  // the frame, at least
  CHECK_THROWS_WITH(image_grid_png(Tensor({2, 8, 8, 2}), scores, labels, {}),
                    "image grid: images must be (N, H, W, 1) or (N, H, W, 3), got (2, 8, 8, 2)");
}
