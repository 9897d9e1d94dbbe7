// For scripts/check-tfjs.sh: writes what TensorFlow.js needs to recompute an elucid model's outputs, through
// elucid's public API only: the weights (named, in model.weights() order, shapes as elucid keeps them, which are
// Keras' own: Conv2D kernel (kh, kw, in, out), Dense kernel (in, units)), the inputs (the first N Fashion-MNIST
// test images, then each IMAGE read as `elucid predict` reads it, all scaled to [0, 1]), elucid's outputs for them
// and each layer's output on the way (to name the first layer where the two implementations part).
//
//   dump_model MODEL N OUT.json [IMAGE...]
//
// MODEL is a model file (Sequential or Functional), or a Functional model's Keras JSON (NAME.json): that one is made
// from its initializers and trained for two epochs on the N images first, so that no weight and no moving statistic
// keeps its initial value, and saved as OUT.elucid (OUT.json's name ending in .elucid) for `elucid export` and
// `elucid predict`.
//
// OUT.json: {"class_names", "weights": [{"name", "shape", "values"}], "inputs": {"shape", "values", "labels"},
// "layer_outputs": [{"name", "shape", "values"}], "outputs": {"from_logits", "shape", "values"}}: the model's first
// output; a model of several outputs has each among the layer outputs, named after its layer.
// Floats are printed with 9 significant digits, enough to give back every float32 bit for bit.
#include <elucid/data/image_folder.hpp>  // load_image, as `elucid predict` reads an image
#include <elucid/elucid.hpp>

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <optional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

void put_floats(std::ostream& out, const float* p, int64_t n) {
  char buf[32];
  out << "[";
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "", static_cast<double>(p[i]));
    out << buf;
  }
  out << "]";
}

void put_shape(std::ostream& out, const elucid::Shape& shape) {
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << "]";
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace elucid;
  if (argc < 4) {
    std::cerr << "usage: dump_model MODEL N OUT.json [IMAGE...]\n";
    return 2;
  }
  const std::string path = argv[1];
  const bool from_json = path.ends_with(".json");
  ModelFile file = from_json ? any_model_from_json(read_file(path), path) : load_model_file(path);
  train::Trainer& model = file.trainer();
  Functional* graph = file.functional ? &*file.functional : nullptr;
  const std::vector<std::string> class_names = file.class_names;
  const int64_t n = std::stoll(argv[2]);
  const Shape input = model.input_shape();  // (28, 28, 1) for the seed model
  const int64_t per_sample = input[0] * input[1] * input[2];
  const int64_t images = argc - 4;

  Shape batch_shape = {n + images};
  batch_shape.insert(batch_shape.end(), input.begin(), input.end());
  Tensor x(batch_shape);
  std::vector<float> labels(static_cast<size_t>(n), 0.0f);
  if (n > 0) {
    auto [train, test] = datasets::fashion_mnist::load_data();
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < n; ++i) indices.push_back(i);
    test->fill(indices, x.data(), labels.data());
  }
  for (int64_t i = 0; i < images; ++i) {
    const std::vector<uint8_t> pixels = data::load_image(argv[4 + i], input[0], input[1], static_cast<int>(input[2]));
    float* dst = x.data() + (n + i) * per_sample;
    for (int64_t k = 0; k < per_sample; ++k) dst[k] = static_cast<float>(pixels[static_cast<size_t>(k)]) / 255.0f;
  }
  if (from_json) {
    Tensor first({n, input[0], input[1], input[2]});
    std::copy(x.data(), x.data() + first.size(), first.data());
    Tensor y_first({n});
    std::copy(labels.begin(), labels.end(), y_first.data());
    // Each output a loss: class logits (N, classes) learn the labels, any other output goes towards 0.
    std::vector<losses::Loss> output_losses;
    train::Trainer::Labels output_labels;
    for (Shape shape : model.output_shapes()) {
      const bool classes = shape.size() == 1;
      output_losses.push_back(classes ? losses::Loss(losses::SparseCategoricalCrossentropy({.from_logits = true}))
                                      : losses::Loss(losses::MeanSquaredError()));
      shape.insert(shape.begin(), n);
      output_labels.push_back(classes ? y_first : Tensor(shape));
    }
    model.compile(optimizers::Adam(), output_losses);
    model.fit(first, output_labels, {.batch_size = 8, .epochs = 2, .verbose = 0});
    std::string saved = argv[3];
    if (saved.ends_with(".json")) saved.resize(saved.size() - 5);
    model.save(saved + ".elucid");
  }
  const Tensor y = model.predict_outputs(x)[0];  // the first output; every output is among layer_outputs
  // Each layer's output in inference mode (what predict computes), with the layer's name.
  std::vector<std::pair<std::string, Tensor>> layer_outputs;
  if (graph) {
    // A Functional model: the model from the inputs to each layer's output (its first call), on the same layers.
    for (const auto& node : graph->nodes()) {
      if (node->layer->class_name() == "InputLayer" || graph->node_index(*node) != 0) continue;
      Functional probe(graph->inputs(), {layers::KerasTensor(node)});
      const std::vector<Tensor> inputs = {x};
      layer_outputs.emplace_back(node->layer->name(), probe.forward(inputs, false)[0]);
    }
  } else {
    Tensor h = x;
    for (const auto& layer : file.model.layers()) layer_outputs.emplace_back(layer->name(), h = layer->forward(h, false));
  }

  std::ofstream out(argv[3], std::ios::binary);
  out << "{\"class_names\": [";
  for (size_t i = 0; i < class_names.size(); ++i) {
    out << (i ? ", " : "") << "\"";
    for (char c : class_names[i]) out << (c == '"' || c == '\\' ? "\\" : "") << c;
    out << "\"";
  }
  out << "],\n\"weights\": [";
  const auto weights = model.weights();
  for (size_t i = 0; i < weights.size(); ++i) {
    out << (i ? ",\n" : "\n") << "{\"name\": \"" << weights[i].name << "\", \"shape\": ";
    put_shape(out, weights[i].tensor.shape());
    out << ", \"values\": ";
    put_floats(out, weights[i].tensor.data(), weights[i].tensor.size());
    out << "}";
  }
  out << "],\n\"inputs\": {\"shape\": ";
  put_shape(out, x.shape());
  out << ", \"labels\": ";
  put_floats(out, labels.data(), n);
  out << ", \"values\": ";
  put_floats(out, x.data(), x.size());
  out << "},\n\"layer_outputs\": [";
  for (size_t i = 0; i < layer_outputs.size(); ++i) {
    const auto& [name, output] = layer_outputs[i];
    out << (i ? ",\n" : "\n") << "{\"name\": \"" << name << "\", \"shape\": ";
    put_shape(out, output.shape());
    out << ", \"values\": ";
    put_floats(out, output.data(), output.size());
    out << "}";
  }
  out << "],\n\"outputs\": {\"from_logits\": " << (model.compiled() && model.losses()[0].from_logits() ? "true" : "false")
      << ", \"shape\": ";
  put_shape(out, y.shape());
  out << ", \"values\": ";
  put_floats(out, y.data(), y.size());
  out << "}}\n";
  out.close();
  if (!out) {
    std::cerr << "dump_model: cannot write " << argv[3] << "\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "dump_model: " << e.what() << "\n";
  return 1;
}
