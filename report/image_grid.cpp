// Image grid: an RGB canvas, images scaled up by pixel repetition, text from stb_easy_font's segment font (drawn
// as filled rectangles at twice its size, so it needs no font file), encoded with stb_image_write.
#include <elucid/report/image_grid.hpp>

#include <elucid/core/error.hpp>

#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace elucid::report {

namespace {
using Colour = std::array<uint8_t, 3>;
constexpr Colour kBlack{20, 20, 20}, kGreen{0, 120, 40}, kRed{200, 30, 30}, kGrey{90, 90, 90};
constexpr int kTextScale = 2;

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * static_cast<size_t>(h) * 3, 255) {}
  void fill(int x0, int y0, int w, int h, Colour c) {
    for (int y = std::max(0, y0); y < std::min(height, y0 + h); ++y)
      for (int x = std::max(0, x0); x < std::min(width, x0 + w); ++x)
        std::copy(c.begin(), c.end(), rgb.begin() + (static_cast<ptrdiff_t>(y) * width + x) * 3);
  }
};

int text_width(const std::string& text) {
  return stb_easy_font_width(const_cast<char*>(text.c_str())) * kTextScale;
}

void draw_text(Canvas& canvas, int x, int y, const std::string& text, Colour colour) {
  // Each quad is 4 vertices of (float x, y, z, uint8 rgba) = 16 bytes; the font's segments are axis-aligned.
  std::vector<char> buffer(text.size() * 16 * 4 * 70 + 64);
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(text.c_str()), nullptr, buffer.data(),
                                        static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buffer.data() + static_cast<size_t>(q) * 64);
    const float* v2 = reinterpret_cast<const float*>(buffer.data() + static_cast<size_t>(q) * 64 + 32);
    const int qx0 = static_cast<int>(std::lround(v0[0] * kTextScale)), qy0 = static_cast<int>(std::lround(v0[1] * kTextScale));
    const int qx1 = static_cast<int>(std::lround(v2[0] * kTextScale)), qy1 = static_cast<int>(std::lround(v2[1] * kTextScale));
    canvas.fill(x + std::min(qx0, qx1), y + std::min(qy0, qy1), std::abs(qx1 - qx0), std::abs(qy1 - qy0), colour);
  }
}

// Cuts a label that would not fit its cell, marking the cut with a dot.
// "(name)"; built by appending, as GCC 12 warns falsely (-Wrestrict) on "(" + name + ")".
std::string in_brackets(const std::string& name) {
  std::string s = "(";
  s += name;
  s += ')';
  return s;
}

std::string fit(const std::string& text, int width) {
  std::string s = text;
  while (s.size() > 1 && text_width(s) > width) s.pop_back();
  return s.size() < text.size() ? s.substr(0, s.size() - 1) + "." : s;
}

void write_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
}  // namespace

std::string image_grid_png(const Tensor& images, const Tensor& predictions, const Tensor& labels,
                           const std::vector<std::string>& class_names, const ImageGridOptions& options) {
  if (images.rank() != 4 || (images.dim(3) != 1 && images.dim(3) != 3))
    throw Error("image grid: images must be (N, H, W, 1) or (N, H, W, 3), got " + to_string(images.shape()));
  const int64_t n = images.dim(0), h = images.dim(1), w = images.dim(2), c = images.dim(3);
  if (predictions.rank() != 2 || predictions.dim(0) != n || labels.size() != n)
    throw Error("image grid: images " + to_string(images.shape()) + ", predictions " + to_string(predictions.shape()) +
                " and labels " + to_string(labels.shape()) + " disagree on the number of images");
  if (n == 0 || options.columns < 1 || options.scale < 1 || h * options.scale > 2048 || w * options.scale > 2048 || n > 1000)
    throw Error("image grid: needs 1 to 1000 images, columns >= 1 and images at most 2048 pixels once scaled; got " +
                std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w) + " at scale " +
                std::to_string(options.scale));
  const int64_t classes = predictions.dim(1);
  auto name = [&](int64_t k) {
    return k >= 0 && k < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<size_t>(k)] : std::to_string(k);
  };

  const int image_w = static_cast<int>(w) * options.scale, image_h = static_cast<int>(h) * options.scale;
  const int line = 8 * kTextScale, pad = 10, border = 3;
  int longest = 0;  // the widest label line, "(true name)" included, sets the cell width
  for (int64_t k = 0; k < classes; ++k) longest = std::max(longest, text_width(in_brackets(name(k))));
  const int cell_w = std::max(image_w, std::min(longest, 16 * 6 * kTextScale)) + 2 * pad;
  const int cell_h = image_h + 2 * line + 2 * pad;
  const int columns = static_cast<int>(std::min<int64_t>(options.columns, n));
  const int rows = static_cast<int>((n + columns - 1) / columns);
  const int title_h = options.title.empty() ? 0 : 3 * line;
  Canvas canvas(columns * cell_w + pad, title_h + rows * cell_h + pad);
  if (!options.title.empty()) draw_text(canvas, pad, line, options.title, kBlack);

  for (int64_t i = 0; i < n; ++i) {
    const float* scores = predictions.data() + i * classes;
    const int64_t predicted = std::max_element(scores, scores + classes) - scores;
    const auto truth = static_cast<int64_t>(labels.data()[i]);
    const bool right = predicted == truth;
    const int x0 = pad + static_cast<int>(i % columns) * cell_w + (cell_w - image_w) / 2 - pad / 2;
    const int y0 = title_h + pad + static_cast<int>(i / columns) * cell_h;
    if (!right) canvas.fill(x0 - border, y0 - border, image_w + 2 * border, image_h + 2 * border, kRed);
    const float* image = images.data() + i * h * w * c;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        Colour px;
        for (int k = 0; k < 3; ++k) {
          const float v = image[(y * w + x) * c + (c == 3 ? k : 0)];
          px[static_cast<size_t>(k)] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
        }
        canvas.fill(x0 + static_cast<int>(x) * options.scale, y0 + static_cast<int>(y) * options.scale, options.scale,
                    options.scale, px);
      }
    const int text_x = pad + static_cast<int>(i % columns) * cell_w;
    draw_text(canvas, text_x, y0 + image_h + 6, fit(name(predicted), cell_w - pad), right ? kGreen : kRed);
    if (!right) draw_text(canvas, text_x, y0 + image_h + 6 + line, fit(in_brackets(name(truth)), cell_w - pad), kGrey);
  }
  std::string png;
  if (!stbi_write_png_to_func(write_bytes, &png, canvas.width, canvas.height, 3, canvas.rgb.data(), canvas.width * 3))
    throw Error("image grid: PNG encoding failed");
  return png;
}

}  // namespace elucid::report
