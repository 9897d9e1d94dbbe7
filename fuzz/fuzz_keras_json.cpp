// Fuzz target: any_model_from_json on the input (tf.keras 2.x or Keras 3 JSON, Sequential or Functional), which builds
// the model, its graph and its weights, then writes it back (to_json and to_keras3_json) when it is built.
#include <elucid/saving/keras_json.hpp>

#include <fuzz_input.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  return elucid::fuzz::run([&] {
    // Weights are bounded well under the fuzzer's -rss_limit_mb; the limit itself is what is being checked.
    elucid::ModelFile file = elucid::any_model_from_json(text, "fuzz.json", int64_t{64} << 20);
    const elucid::train::Trainer& model = file.trainer();
    if (!model.built()) return;
    model.to_json();
    elucid::to_keras3_json(model);
  });
}
