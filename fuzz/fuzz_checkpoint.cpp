// Fuzz target: read_checkpoint on the input, then the model inside it and restore_checkpoint into that model, as
// `elucid train --resume` does; first as it is, then with the lengths and checksums of the checkpoint and of the
// model file inside it set to match (fuzz_input.hpp), so that mutations reach the records.
#include <elucid/saving/checkpoint.hpp>

#include <fuzz_input.hpp>

namespace {
void resume(const std::string& bytes) {
  elucid::fuzz::run([&] {
    const elucid::Checkpoint checkpoint = elucid::read_checkpoint(bytes, "fuzz.ckpt");
    elucid::ModelFile file = elucid::read_model_file(checkpoint.model_file, "fuzz.ckpt");
    elucid::restore_checkpoint(file.model, checkpoint, "fuzz.ckpt");
  });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  resume(bytes);
  // The body opens with the model file as a string: a u64 length, then the sealed model file.
  if (bytes.size() >= 28) {
    uint64_t inner = 0;
    std::memcpy(&inner, bytes.data() + 20, 8);
    if (inner <= bytes.size() - 28) elucid::fuzz::reseal(bytes, 28, 28 + static_cast<size_t>(inner));
  }
  elucid::fuzz::reseal(bytes, 0, bytes.size());
  resume(bytes);
  return 0;
}
