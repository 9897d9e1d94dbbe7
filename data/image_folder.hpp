// image_dataset_from_directory, as Keras has it: one subfolder per class (labels from the sorted folder names),
// PNG, JPEG, BMP and GIF files decoded by stb_image, resized (bilinear) to one size, kept as uint8 in an ImageDataset.
#pragma once
#include <elucid/data/image_dataset.hpp>

#include <iosfwd>
#include <optional>

namespace elucid::data {

// Every member has an explicit default, so that designated initializers ({.image_size = {28, 28}}) compile cleanly
// under -Wextra (gcc's -Wmissing-field-initializers).
// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ImageFolderOptions {
  struct Size {
    int64_t height = 256, width = 256;  // Keras' default image_size (256, 256)
  } image_size = {};
  std::string color_mode = "rgb";  // "grayscale" (1 channel), "rgb" (3) or "rgba" (4)
  // Keras: the files are shuffled with `seed`, then the last int(validation_split * N) files are the
  // "validation" subset and the others the "training" subset. Both options are needed together.
  double validation_split = 0.0;
  std::string subset = "";         // "", "training" or "validation"
  std::optional<uint64_t> seed = std::nullopt;  // required with validation_split (as Keras); otherwise 0 when absent
  bool shuffle = true;             // shuffle the file order before the split (batches shuffle again per epoch)
  std::vector<std::string> class_names = {};  // only these subfolders, in this order; empty: every subfolder, sorted
  bool skip_bad_files = false;     // a corrupt image: skipped with one warning line (true) or an Error (false)
  std::ostream* warnings = nullptr;  // where skipped files are reported; nullptr: std::cerr
  bool rescale = true;             // floats pixel / 255 in [0, 1]; false: 0..255 as Keras yields them
};

// Images larger than this (per side, or in pixels) are refused from their header, before decoding.
inline constexpr int64_t kMaxImageSide = 1 << 15;
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;
// Extensions taken as images (compared in lower case); every other file is ignored, as Keras does.
inline const std::vector<std::string> kImageExtensions = {".bmp", ".gif", ".jpeg", ".jpg", ".png"};
bool is_image_name(const std::string& path);  // its extension is one of kImageExtensions, in any case

// One image file decoded and resized (bilinear) to (height, width, channels) uint8, as image_dataset_from_directory
// reads each of its files: for `elucid predict`. channels is 1 (grayscale), 3 (rgb) or 4 (rgba). A file that is
// not an image, or is beyond kMaxImageSide / kMaxImagePixels, is an elucid::Error naming the path.
std::vector<uint8_t> load_image(const std::string& path, int64_t height, int64_t width, int channels);

std::shared_ptr<ImageDataset> image_dataset_from_directory(const std::string& directory,
                                                           const ImageFolderOptions& options = {});

}  // namespace elucid::data
