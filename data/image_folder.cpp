// image_dataset_from_directory: list and label the files, shuffle and split them as Keras does, then decode and
// resize each chosen file (in parallel, each into its own slot, so the result does not depend on the thread count).
#include <elucid/data/image_folder.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/random.hpp>
#include <elucid/data/image_check.hpp>
#include <elucid/data/resize.hpp>

#include <stb/stb_image.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

namespace elucid::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWho = "image_dataset_from_directory";
// The whole decoded set must stay below this many bytes (uint8 pixels).
constexpr int64_t kMaxDatasetBytes = int64_t{16} << 30;
// An image file is read whole before decoding; 2^26 pixels of 32-bit BMP are 256 MiB.
constexpr size_t kMaxImageFileBytes = size_t{512} << 20;

struct LabeledFile {
  std::string path;
  int32_t label;
};

std::string extension_list() {
  std::string s;
  for (const std::string& e : kImageExtensions) s += (s.empty() ? "" : ", ") + e;
  return s;
}

// The image files under one class folder, at any depth, ordered by folder then file name (Keras' os.walk order).
std::vector<std::string> image_files(const fs::path& class_dir) {
  std::vector<std::pair<std::string, std::string>> found;  // (parent folder, file name)
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(class_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && is_image_name(it->path().string()))
      found.emplace_back(it->path().parent_path().string(), it->path().filename().string());
  }
  if (ec) throw Error(std::string(kWho) + ": cannot list " + class_dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (const auto& [dir, name] : found) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

void check_options(const std::string& directory, const ImageFolderOptions& o) {
  const std::string& s = o.subset;
  if (s != "" && s != "training" && s != "validation")
    throw Error(std::string(kWho) + ": subset must be \"training\" or \"validation\", got \"" + s + "\"");
  if (o.validation_split != 0.0 && !(o.validation_split > 0.0 && o.validation_split < 1.0))
    throw Error(std::string(kWho) + ": validation_split must be between 0 and 1, got " +
                std::to_string(o.validation_split));
  if (!s.empty() && o.validation_split == 0.0)
    throw Error(std::string(kWho) + ": subset \"" + s + "\" needs a validation_split");
  if (s.empty() && o.validation_split != 0.0)
    throw Error(std::string(kWho) + ": validation_split needs subset \"training\" or \"validation\"");
  if (o.validation_split != 0.0 && o.shuffle && !o.seed)
    throw Error(std::string(kWho) + ": validation_split with shuffling needs a seed, so that the training and "
                                    "validation subsets do not overlap");
  if (o.color_mode != "grayscale" && o.color_mode != "rgb" && o.color_mode != "rgba")
    throw Error(std::string(kWho) + ": color_mode must be \"grayscale\", \"rgb\" or \"rgba\", got \"" +
                o.color_mode + "\"");
  const auto [h, w] = o.image_size;
  if (h < 1 || w < 1 || h > kMaxImageSide || w > kMaxImageSide)
    throw Error(std::string(kWho) + ": image_size (" + std::to_string(h) + ", " + std::to_string(w) +
                ") must be between 1 and " + std::to_string(kMaxImageSide) + " on each side");
  std::error_code ec;
  if (!fs::exists(directory, ec)) throw Error(std::string(kWho) + ": " + directory + ": no such directory");
  if (!fs::is_directory(directory, ec)) throw Error(std::string(kWho) + ": " + directory + " is not a directory");
}

// Why `path` cannot be an image file: "" for a regular file (symbolic links followed), else what is there instead.
std::string not_a_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  const char* what = "";
  switch (status.type()) {
    case fs::file_type::regular: return "";
    case fs::file_type::not_found: return "no such file";
    case fs::file_type::directory: what = "a directory"; break;
    case fs::file_type::character: what = "a character device"; break;
    case fs::file_type::block: what = "a block device"; break;
    case fs::file_type::fifo: what = "a named pipe"; break;
    case fs::file_type::socket: what = "a socket"; break;
    default: return "cannot be read: " + (ec ? ec.message() : std::string("not a regular file"));
  }
  return std::string("is ") + what + ", not an image file";
}

// Decodes `path` into `out` (h * w * channels bytes, resized when needed). Returns "" or why the file is bad.
std::string decode(const std::string& path, int64_t h, int64_t w, int channels, uint8_t* out) {
  std::string file;
  try {
    file = read_file(path, kMaxImageFileBytes);
  } catch (const Error& e) {
    const std::string what = e.what();  // "PATH: problem"
    return what.rfind(path + ": ", 0) == 0 ? what.substr(path.size() + 2) : what;
  }
  const auto* bytes = reinterpret_cast<const stbi_uc*>(file.data());
  const int size = static_cast<int>(file.size());
  if (std::string bad = check_image_bytes(bytes, file.size()); !bad.empty()) return bad;
  // "image is WxH pixels, beyond the bound ..." when the size is out of bounds, else "".
  auto size_problem = [](int64_t iw, int64_t ih) -> std::string {
    if (iw >= 1 && ih >= 1 && iw <= kMaxImageSide && ih <= kMaxImageSide && iw * ih <= kMaxImagePixels) return "";
    return "image is " + std::to_string(iw) + "x" + std::to_string(ih) + " pixels, beyond the bound of " +
           std::to_string(kMaxImageSide) + " per side and " + std::to_string(kMaxImagePixels) + " pixels";
  };
  // A PNG's size from its header first: stb_image refuses one too large for it as an "unknown image type".
  if (const DeclaredSize png = declared_png_size(bytes, file.size()); png.width > 0 && png.height > 0)
    if (std::string bad = size_problem(png.width, png.height); !bad.empty()) return bad;
  int iw = 0, ih = 0, file_channels = 0;
  if (!stbi_info_from_memory(bytes, size, &iw, &ih, &file_channels))
    return std::string("not a readable image (") + stbi_failure_reason() + "); PNG, JPEG, BMP and GIF are read";
  if (std::string bad = size_problem(iw, ih); !bad.empty()) return bad;
  // A decompression bomb: a few bytes declaring a huge picture (a GIF's canvas costs nothing to declare) would make
  // the decoder allocate and clear it all. No real PNG packs more than ~8,300 pixels into a byte of file (1-bit
  // pixels at deflate's best 1032:1); JPEG and BMP far fewer.
  const int64_t pixel_budget = std::max(int64_t{1} << 20, int64_t{16384} * static_cast<int64_t>(file.size()));
  if (int64_t{iw} * ih > pixel_budget)
    return "image declares " + std::to_string(iw) + "x" + std::to_string(ih) + " pixels in a file of only " +
           std::to_string(file.size()) + " bytes (at most 16384 pixels per byte): a corrupt or hostile file";
  int lw = 0, lh = 0, unused = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(bytes, size, &lw, &lh, &unused, channels),
                                                   stbi_image_free);
  if (!pixels) return std::string("cannot decode the image (") + stbi_failure_reason() + ")";
  if (lw != iw || lh != ih)
    return "header says " + std::to_string(iw) + "x" + std::to_string(ih) + " but decodes as " +
           std::to_string(lw) + "x" + std::to_string(lh);
  if (lw == w && lh == h) {
    std::memcpy(out, pixels.get(), static_cast<size_t>(h * w * channels));
    return "";
  }
  resize_bilinear(pixels.get(), lh, lw, channels, out, h, w);
  return "";
}

}  // namespace

bool is_image_name(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kImageExtensions.begin(), kImageExtensions.end(), ext) != kImageExtensions.end();
}

std::vector<uint8_t> load_image(const std::string& path, int64_t height, int64_t width, int channels) {
  if (channels != 1 && channels != 3 && channels != 4)
    throw Error(path + ": images are read with 1, 3 or 4 channels, not " + std::to_string(channels));
  if (height < 1 || width < 1 || height > kMaxImageSide || width > kMaxImageSide)
    throw Error(path + ": cannot resize an image to " + std::to_string(height) + "x" + std::to_string(width));
  if (const std::string problem = not_a_file(path); !problem.empty()) throw Error(path + ": " + problem);
  std::vector<uint8_t> pixels(static_cast<size_t>(height * width * channels));
  const std::string problem = decode(path, height, width, channels, pixels.data());
  if (!problem.empty()) throw Error(path + ": " + problem);
  return pixels;
}

std::shared_ptr<ImageDataset> image_dataset_from_directory(const std::string& directory,
                                                           const ImageFolderOptions& options) {
  check_options(directory, options);

  // Classes: the given names, or every subfolder in sorted order.
  std::vector<std::string> classes = options.class_names;
  std::error_code ec;
  if (classes.empty()) {
    for (const auto& entry : fs::directory_iterator(directory, ec))
      if (entry.is_directory(ec)) classes.push_back(entry.path().filename().string());
    std::sort(classes.begin(), classes.end());
  } else {
    for (const std::string& c : classes)
      if (!fs::is_directory(fs::path(directory) / c, ec))
        throw Error(std::string(kWho) + ": class \"" + c + "\" has no folder " +
                    (fs::path(directory) / c).string());
  }

  std::vector<LabeledFile> files;
  for (size_t c = 0; c < classes.size(); ++c)
    for (std::string& path : image_files(fs::path(directory) / classes[c]))
      files.push_back({std::move(path), static_cast<int32_t>(c)});
  if (files.empty())
    throw Error(std::string(kWho) + ": no images found in " + directory + " (" + std::to_string(classes.size()) +
                " class folders; allowed extensions " + extension_list() + ")");

  // Keras: shuffle (path, label) pairs with the seed, then the validation subset is the last int(split * N).
  if (options.shuffle) {
    std::vector<int64_t> order(files.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    Random rng(options.seed.value_or(0));
    rng.shuffle(order);
    std::vector<LabeledFile> shuffled;
    shuffled.reserve(order.size());
    for (int64_t i : order) shuffled.push_back(files[static_cast<size_t>(i)]);
    files = std::move(shuffled);
  }
  if (options.validation_split > 0.0) {
    const auto n = static_cast<int64_t>(files.size());
    const auto val = static_cast<int64_t>(options.validation_split * static_cast<double>(n));
    const int64_t train = n - val;
    if (options.subset == "training") files.resize(static_cast<size_t>(train));
    else files.erase(files.begin(), files.begin() + train);
    if (files.empty())
      throw Error(std::string(kWho) + ": validation_split " + std::to_string(options.validation_split) + " of " +
                  std::to_string(n) + " images leaves the " + options.subset + " subset empty");
  }

  const int channels = options.color_mode == "grayscale" ? 1 : options.color_mode == "rgb" ? 3 : 4;
  const int64_t h = options.image_size.height, w = options.image_size.width;  // not a structured binding: clang 14 cannot use one inside the omp region
  const int64_t image_bytes = h * w * channels;
  const auto count = static_cast<int64_t>(files.size());
  if (image_bytes > kMaxDatasetBytes / count)
    throw Error(std::string(kWho) + ": " + std::to_string(count) + " images of " + std::to_string(h) + "x" +
                std::to_string(w) + "x" + std::to_string(channels) + " would need more than " +
                std::to_string(kMaxDatasetBytes) + " bytes");

  std::vector<uint8_t> pixels(static_cast<size_t>(count * image_bytes));
  std::vector<std::string> problems(files.size());
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < count; ++i) {
    try {
      problems[static_cast<size_t>(i)] =
          decode(files[static_cast<size_t>(i)].path, h, w, channels, pixels.data() + i * image_bytes);
    } catch (const std::exception& e) {  // bad_alloc from a decoder: report it, never escape the parallel region
      problems[static_cast<size_t>(i)] = e.what();
    }
  }

  // Bad files, in file order: an error, or skipped with one warning each and a count at the end.
  std::vector<int32_t> labels;
  int64_t kept = 0, skipped = 0;
  std::ostream& warn = options.warnings ? *options.warnings : std::cerr;
  for (int64_t i = 0; i < count; ++i) {
    const LabeledFile& f = files[static_cast<size_t>(i)];
    const std::string& problem = problems[static_cast<size_t>(i)];
    if (!problem.empty()) {
      if (!options.skip_bad_files) throw Error(f.path + ": " + problem);
      warn << "warning: skipping " << f.path << ": " << problem << "\n";
      ++skipped;
      continue;
    }
    if (kept != i)
      std::memmove(pixels.data() + kept * image_bytes, pixels.data() + i * image_bytes,
                   static_cast<size_t>(image_bytes));
    labels.push_back(f.label);
    ++kept;
  }
  if (skipped > 0) warn << "warning: skipped " << skipped << " of " << count << " image files in " << directory << "\n";
  if (kept == 0) throw Error(std::string(kWho) + ": none of the " + std::to_string(count) + " images in " +
                             directory + " could be read");
  pixels.resize(static_cast<size_t>(kept * image_bytes));
  return std::make_shared<ImageDataset>(Shape{kept, h, w, channels}, std::move(pixels), std::move(labels),
                                        std::move(classes), options.rescale);
}

}  // namespace elucid::data
