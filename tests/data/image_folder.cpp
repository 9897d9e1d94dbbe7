// image_dataset_from_directory over folders of small images written here with stb_image_write: exact pixels and
// labels, sorted class folders, formats, resizing, the Keras validation split, and bad files and arguments.
#include <elucid/core/error.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/data/image_folder.hpp>

#include "support/data_files.hpp"

#include <catch2/catch.hpp>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <set>
#include <sstream>

using namespace elucid;
using namespace elucid::data;
using namespace elucid::test;
namespace fs = std::filesystem;

namespace {

// A w x h image with `channels` channels whose byte k is seed + 3 k (mod 256).
Bytes pattern(int w, int h, int channels, int seed) {
  Bytes b(static_cast<size_t>(w * h * channels));
  for (size_t k = 0; k < b.size(); ++k) b[k] = static_cast<uint8_t>(seed + 3 * static_cast<int>(k));
  return b;
}

void png(const fs::path& path, int w, int h, int channels, const Bytes& pixels) {
  fs::create_directories(path.parent_path());
  REQUIRE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels));
}

// cats/ holds two 4x3 grayscale PNGs (one in a nested folder), dogs/ one; plus files that are not images.
fs::path small_folder(const std::string& name) {
  const fs::path dir = scratch("folder_" + name);
  png(dir / "dogs" / "d1.png", 4, 3, 1, pattern(4, 3, 1, 100));
  png(dir / "cats" / "b.png", 4, 3, 1, pattern(4, 3, 1, 20));
  png(dir / "cats" / "a.PNG", 4, 3, 1, pattern(4, 3, 1, 10));
  png(dir / "cats" / "more" / "c.png", 4, 3, 1, pattern(4, 3, 1, 30));
  write_raw(dir / "cats" / "README.txt", {'n', 'o', 't', 'e'});
  write_raw(dir / "top-level.png", {1, 2, 3});  // outside any class folder: ignored as Keras does
  return dir;
}

}  // namespace

TEST_CASE("image_dataset_from_directory reads exact pixels, labels from sorted folders", "[data][image_folder][threads]") {
  const fs::path dir = small_folder("exact");
  auto d = image_dataset_from_directory(dir.string(),
                                        {.image_size = {3, 4}, .color_mode = "grayscale", .shuffle = false});
  REQUIRE(d->size() == 4);
  CHECK(d->class_names() == std::vector<std::string>{"cats", "dogs"});
  CHECK(d->sample_shape() == Shape{3, 4, 1});
  CHECK(d->labels() == std::vector<int32_t>{0, 0, 0, 1});
  // cats: a.PNG, b.png, then more/c.png (folder, then name); dogs: d1.png.
  const int seeds[] = {10, 20, 30, 100};
  for (int64_t i = 0; i < 4; ++i) {
    const Bytes want = pattern(4, 3, 1, seeds[i]);
    CHECK(Bytes(d->image(i).begin(), d->image(i).end()) == want);
  }
  auto [x, y] = to_tensors(*d);
  CHECK(x.at({3, 2, 3, 0}) == static_cast<float>(static_cast<uint8_t>(100 + 3 * 11)) / 255.0f);
  CHECK(y.at({3}) == 1.0f);
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory: RGB, grayscale to RGB, BMP, JPEG and GIF", "[data][image_folder][threads]") {
  const fs::path dir = scratch("folder_formats");
  const Bytes rgb = pattern(2, 2, 3, 7);
  png(dir / "a" / "rgb.png", 2, 2, 3, rgb);
  fs::create_directories(dir / "b");
  REQUIRE(stbi_write_bmp((dir / "b" / "x.bmp").c_str(), 2, 2, 3, rgb.data()));
  fs::create_directories(dir / "c");
  REQUIRE(stbi_write_jpg((dir / "c" / "x.jpeg").c_str(), 2, 2, 3, rgb.data(), 95));
  // A 1x1 GIF whose one pixel is palette entry 0, white.
  fs::create_directories(dir / "d");
  write_raw(dir / "d" / "white.gif",
            {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00,
             0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00,
             0x3b});
  png(dir / "e" / "gray.png", 2, 2, 1, Bytes{0, 50, 100, 250});

  auto d = image_dataset_from_directory(dir.string(), {.image_size = {2, 2}, .shuffle = false});
  REQUIRE(d->size() == 5);
  CHECK(d->sample_shape() == Shape{2, 2, 3});
  CHECK(Bytes(d->image(0).begin(), d->image(0).end()) == rgb);  // PNG: lossless
  CHECK(Bytes(d->image(1).begin(), d->image(1).end()) == rgb);  // BMP: lossless
  for (size_t k = 0; k < 12; ++k) CHECK(std::abs(int{d->image(2)[k]} - int{rgb[k]}) < 40);  // JPEG: close
  for (uint8_t v : d->image(3)) CHECK(v == 255);  // the GIF's white pixel, stretched to 2x2
  CHECK(Bytes(d->image(4).begin(), d->image(4).begin() + 6) == Bytes{0, 0, 0, 50, 50, 50});  // gray -> RGB
  CHECK(d->labels() == std::vector<int32_t>{0, 1, 2, 3, 4});
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory resizes to image_size", "[data][image_folder][threads]") {
  const fs::path dir = scratch("folder_resize");
  png(dir / "flat" / "big.png", 9, 7, 1, Bytes(63, 200));
  png(dir / "flat" / "small.png", 2, 2, 1, Bytes(4, 60));
  auto d = image_dataset_from_directory(dir.string(), {.image_size = {5, 6}, .color_mode = "grayscale",
                                                       .shuffle = false});
  CHECK(d->shape() == Shape{2, 5, 6, 1});
  for (uint8_t v : d->image(0)) CHECK(std::abs(int{v} - 200) <= 1);  // a flat image stays flat
  for (uint8_t v : d->image(1)) CHECK(std::abs(int{v} - 60) <= 1);
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory splits as Keras: shuffled by seed, the last part validates",
          "[data][image_folder]") {
  const fs::path dir = scratch("folder_split");
  for (int i = 0; i < 10; ++i) {
    std::string name = std::to_string(i);
    name += ".png";  // (not "f" + ...: gcc 12 gives a false -Wrestrict on that)
    png(dir / (i < 6 ? "a" : "b") / name, 1, 1, 1, Bytes{static_cast<uint8_t>(i)});
  }
  auto load = [&](const std::string& subset, uint64_t seed) {
    return image_dataset_from_directory(dir.string(), {.image_size = {1, 1}, .color_mode = "grayscale",
                                                       .validation_split = 0.25, .subset = subset, .seed = seed});
  };
  auto train = load("training", 5), val = load("validation", 5);
  REQUIRE(train->size() == 8);  // int(0.25 * 10) = 2 for validation
  REQUIRE(val->size() == 2);
  std::multiset<int> all;
  for (auto& part : {train, val})
    for (int64_t i = 0; i < part->size(); ++i) {
      const int pixel = part->image(i)[0];
      all.insert(pixel);
      CHECK(part->labels()[static_cast<size_t>(i)] == (pixel < 6 ? 0 : 1));  // labels travel with their files
    }
  CHECK(all == std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // disjoint, nothing lost
  auto again = load("validation", 5);
  CHECK(Bytes(again->pixels().begin(), again->pixels().end()) == Bytes(val->pixels().begin(), val->pixels().end()));
  auto other = load("training", 6);
  CHECK(Bytes(other->pixels().begin(), other->pixels().end()) !=
        Bytes(train->pixels().begin(), train->pixels().end()));
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory: a corrupt image names the file, or is skipped when asked",
          "[data][image_folder][bad]") {
  const fs::path dir = scratch("folder_corrupt");
  png(dir / "a" / "good.png", 2, 2, 1, Bytes(4, 9));
  const std::string bad = write_raw(dir / "a" / "broken.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
  Bytes cut = file_bytes(dir / "a" / "good.png");
  cut.resize(cut.size() / 2);
  fs::create_directories(dir / "b");
  const std::string half = write_raw(dir / "b" / "half.png", cut);
  const ImageFolderOptions strict{.image_size = {2, 2}, .color_mode = "grayscale", .shuffle = false};
  CHECK_THROWS_WITH(image_dataset_from_directory(dir.string(), strict),
                    Catch::StartsWith(bad + ": not a readable image ("));

  std::ostringstream log;
  ImageFolderOptions lenient = strict;
  lenient.skip_bad_files = true;
  lenient.warnings = &log;
  auto d = image_dataset_from_directory(dir.string(), lenient);
  CHECK(d->size() == 1);
  CHECK(d->labels() == std::vector<int32_t>{0});
  CHECK(d->class_names() == std::vector<std::string>{"a", "b"});
  const std::string text = log.str();
  CHECK_THAT(text, Catch::Contains("warning: skipping " + bad + ": not a readable image ("));
  CHECK_THAT(text, Catch::Contains("warning: skipping " + half + ": "));
  CHECK_THAT(text, Catch::EndsWith("warning: skipped 2 of 3 image files in " + dir.string() + "\n"));
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);

  fs::remove(dir / "a" / "good.png");
  CHECK_THROWS_WITH(image_dataset_from_directory(dir.string(), lenient),
                    "image_dataset_from_directory: none of the 2 images in " + dir.string() + " could be read");
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory refuses huge images from their header", "[data][image_folder][bad][threads]") {
  const fs::path dir = scratch("folder_huge");
  // A PNG signature and an IHDR chunk claiming 20000 x 20000 pixels (within stb's own limits), and nothing else.
  Bytes png_header{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {20000u, 20000u})
    for (int shift : {24, 16, 8, 0}) png_header.push_back(static_cast<uint8_t>(v >> shift));
  for (uint8_t b : {8, 0, 0, 0, 0, 0, 0, 0, 0}) png_header.push_back(b);  // depth, color type, ..., CRC
  fs::create_directories(dir / "a");
  const std::string path = write_raw(dir / "a" / "huge.png", png_header);
  CHECK_THROWS_WITH(image_dataset_from_directory(dir.string(), {.image_size = {2, 2}}),
                    path + ": image is 20000x20000 pixels, beyond the bound of 32768 per side and 67108864 pixels");
  fs::remove_all(dir);
}

TEST_CASE("an image past stb_image's own limits gets the size message too", "[data][image_folder][bad]") {
  // Headers alone: stb_image refuses these sizes itself (more than 2^30 bytes of pixels, or a BMP side past 2^24),
  // and its "unknown image type" must not hide the reason.
  const fs::path dir = scratch("image_too_large");
  auto be32 = [](Bytes& b, uint32_t v) { for (int s : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(v >> s)); };
  auto le32 = [](Bytes& b, uint32_t v) { for (int s : {0, 8, 16, 24}) b.push_back(static_cast<uint8_t>(v >> s)); };
  const std::string bound = " pixels, beyond the bound of 32768 per side and 67108864 pixels";

  Bytes png{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  be32(png, 30000);
  be32(png, 30000);
  for (uint8_t b : {8, 2, 0, 0, 0, 0, 0, 0, 0}) png.push_back(b);  // 8-bit RGB, then the CRC
  std::string path = write_raw(dir / "rgb.png", png);
  CHECK_THROWS_WITH(load_image(path, 2, 2, 1), path + ": image is 30000x30000" + bound);

  // JPEG: SOI, then a baseline frame header (SOF0) of 30000 x 30000, 3 components.
  Bytes jpeg{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0x75, 0x30, 0x75, 0x30, 3};
  for (uint8_t c = 1; c <= 3; ++c) jpeg.insert(jpeg.end(), {c, 0x11, 0});
  jpeg.insert(jpeg.end(), {0xff, 0xd9});
  path = write_raw(dir / "big.jpg", jpeg);
  CHECK_THROWS_WITH(load_image(path, 2, 2, 1), path + ": image is 30000x30000" + bound);

  // BMP: a 40-byte info header of 20000000 x 2 pixels, 24 bits each.
  Bytes bmp{'B', 'M'};
  le32(bmp, 54);
  le32(bmp, 0);
  le32(bmp, 54);
  le32(bmp, 40);
  le32(bmp, 20000000);
  le32(bmp, 2);
  bmp.insert(bmp.end(), {1, 0, 24, 0});
  for (int i = 0; i < 6; ++i) le32(bmp, 0);
  path = write_raw(dir / "wide.bmp", bmp);
  CHECK_THROWS_WITH(load_image(path, 2, 2, 1), path + ": image is 20000000x2" + bound);
  fs::remove_all(dir);
}

TEST_CASE("load_image says what a path that is not an image file is", "[data][image_folder][bad]") {
  const fs::path dir = scratch("image_not_a_file");
  fs::create_directories(dir / "folder.png");
  const std::string folder = (dir / "folder.png").string(), gone = (dir / "gone.png").string();
  CHECK_THROWS_WITH(load_image(folder, 2, 2, 1), folder + ": is a directory, not an image file");
  CHECK_THROWS_WITH(load_image("/dev/zero", 2, 2, 1), "/dev/zero: is a character device, not an image file");
  CHECK_THROWS_WITH(load_image(gone, 2, 2, 1), gone + ": no such file");
  fs::remove_all(dir);
}

TEST_CASE("image_dataset_from_directory checks its directory and options", "[data][image_folder][bad][threads]") {
  const fs::path dir = scratch("folder_args");
  const std::string who = "image_dataset_from_directory: ";
  CHECK_THROWS_WITH(image_dataset_from_directory((dir / "nope").string()),
                    who + (dir / "nope").string() + ": no such directory");
  fs::create_directories(dir / "empty_class");
  write_raw(dir / "empty_class" / "notes.md", {'x'});
  CHECK_THROWS_WITH(image_dataset_from_directory(dir.string()),
                    who + "no images found in " + dir.string() +
                        " (1 class folders; allowed extensions .bmp, .gif, .jpeg, .jpg, .png)");
  const std::string d = dir.string();
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.validation_split = 0.2}),
                    who + "validation_split needs subset \"training\" or \"validation\"");
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.subset = "training"}),
                    who + "subset \"training\" needs a validation_split");
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.validation_split = 0.2, .subset = "training"}),
                    Catch::StartsWith(who + "validation_split with shuffling needs a seed"));
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.subset = "test"}),
                    who + "subset must be \"training\" or \"validation\", got \"test\"");
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.color_mode = "cmyk"}),
                    who + "color_mode must be \"grayscale\", \"rgb\" or \"rgba\", got \"cmyk\"");
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.image_size = {0, 28}}),
                    who + "image_size (0, 28) must be between 1 and 32768 on each side");
  CHECK_THROWS_WITH(image_dataset_from_directory(d, {.class_names = {"missing"}}),
                    who + "class \"missing\" has no folder " + (dir / "missing").string());
  fs::remove_all(dir);
}
