// Fuzz target: model_from_json, or functional_from_json when the class_name is not Sequential, on the input (tf.keras
// 2.x or Keras 3 JSON), which builds the model, its graph and its weights, then writes it back (to_json, and
// to_keras3_json for a Sequential model) when it is built.
#include <elucid/saving/keras_json.hpp>

#include <fuzz_input.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  return elucid::fuzz::run([&] {
    // Weights are bounded well under the fuzzer's -rss_limit_mb; the limit itself is what is being checked.
    if (elucid::keras_model_class(text, "fuzz.json") != "Sequential") {
      elucid::Functional model = elucid::functional_from_json(text, "fuzz.json", int64_t{64} << 20);
      model.to_json();
      return;
    }
    elucid::Sequential model = elucid::model_from_json(text, "fuzz.json", int64_t{64} << 20);
    if (!model.built()) return;
    elucid::to_json(model);
    elucid::to_keras3_json(model);
  });
}
