// Fuzz target: read_model_file on the input (a model file, or a checkpoint holding one) as it is, then on a copy
// with its length and checksum set to match (fuzz_input.hpp), which reaches the records behind the envelope. A
// file that loads is written back and must load again.
#include <elucid/saving/model_file.hpp>

#include <fuzz_input.hpp>

namespace {
void load(const std::string& bytes) {
  elucid::fuzz::run([&] {
    elucid::ModelFile file = elucid::read_model_file(bytes, "fuzz.elucid");
    if (file.functional || file.model.built())
      elucid::read_model_file(elucid::model_file_bytes(file.trainer(), {.class_names = file.class_names}), "again");
  });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  load(bytes);
  elucid::fuzz::reseal(bytes, 0, bytes.size());
  load(bytes);
  return 0;
}
