// Fuzz target: data::load_image on the input as a file (stb_image's PNG, JPEG, BMP, GIF decoders and whatever else
// the bytes look like), resized to 28x28; the same decode path image_dataset_from_directory takes for each file.
#include <elucid/data/image_folder.hpp>

#include <fuzz_input.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = elucid::fuzz::write_scratch("input.png", data, size);
  // The first byte chooses the channels asked for, as a grayscale, rgb or rgba model would.
  const int channels = size > 0 ? (data[0] % 3 == 0 ? 1 : data[0] % 3 == 1 ? 3 : 4) : 1;
  return elucid::fuzz::run([&] { elucid::data::load_image(path, 28, 28, channels); });
}
