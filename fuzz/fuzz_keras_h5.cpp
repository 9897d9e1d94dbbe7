// Fuzz target: the structure of Keras HDF5 weight files, after HDF5's parse. The input is read as a small program
// that builds a valid HDF5 file with elucid's writer (saving/hdf5_file.hpp): which layout, which groups, which names
// in layer_names and weight_names (fixed- or variable-length), which datasets of which dtype, rank and shape, which
// optimizer variables; or a whole tf.keras model file of the fixed model whose weights and optimizer_weights the
// program shapes. The file then goes through both weight readers (read_keras_h5_weights, read_keras_weights_h5 with
// the optimizer) into a small fixed model, and read_keras_h5.
//
// Why not the raw bytes: libhdf5 (Debian's 1.10) is not built with sanitizers and crashes inside its own code on some
// corrupted files (a damaged global-heap entry behind a variable-length string: H5HG_read copies past its buffer), so
// a raw-bytes target would report HDF5's bugs, not elucid's (docs/reliability.md). What elucid does with what HDF5
// hands it — every count, name, rank, dtype and shape checked before a value is read — is fuzzed here.
#include <elucid/elucid.hpp>
#include <elucid/saving/hdf5_file.hpp>

#include <fuzz_input.hpp>

#include <algorithm>

namespace {
// The fixtures' model (scripts/make-keras-h5-fixtures.py), compiled so that optimizer variables are read too.
elucid::Sequential& model() {
  static elucid::Sequential m = [] {
    using namespace elucid::layers;
    elucid::Sequential s;
    s.add(Conv2D(2, {3, 3}, {.activation = "elu", .input_shape = elucid::Shape{5, 5, 1}}));
    s.add(BatchNormalization());
    s.add(MaxPooling2D({2, 2}));
    s.add(Flatten());
    s.add(Dense(3));
    s.compile(elucid::optimizers::Adam(), elucid::losses::SparseCategoricalCrossentropy({.from_logits = true}));
    return s;
  }();
  return m;
}

// The input, a byte at a time (0 once it is used up).
struct Program {
  const uint8_t* data;
  size_t size, at = 0;
  uint8_t next() { return at < size ? data[at++] : 0; }
  template <size_t N>
  const char* pick(const char* const (&names)[N]) { return names[next() % N]; }
};

const char* const kLayers[] = {"conv2d", "batch_normalization", "max_pooling2d", "flatten", "dense", "dense_1", "re_lu",
                               "x"};
const char* const kWeights[] = {"conv2d/kernel:0", "conv2d/bias:0", "batch_normalization/gamma:0",
                                "batch_normalization/beta:0", "batch_normalization/moving_mean:0",
                                "batch_normalization/moving_variance:0", "dense/kernel:0", "dense/bias:0",
                                "a/b/c/d:0", "k"};

// A dataset of a shape the program gives (mostly the model's small shapes), float32 or int64.
void dataset(Program& p, elucid::hdf5::Group& g, const std::string& name) {
  if (g.has(name) || name.find('/') != std::string::npos) return;
  const uint8_t kind = p.next();
  if (kind % 8 == 7) return g.write_int64(name, 1);
  elucid::Shape shape;
  const int rank = kind % 16 == 15 ? 9 : p.next() % 5;
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    shape.push_back(p.next() % 5);
    n *= shape.back();
  }
  std::vector<float> values(static_cast<size_t>(n), 0.25f);
  g.write_floats(name, shape, values.data());
}

// "a/b:0" below g: the groups, then the dataset.
void nested(Program& p, elucid::hdf5::Group& g, const std::string& path) {
  const size_t cut = path.find('/');
  if (cut == std::string::npos) return dataset(p, g, path);
  const std::string first = path.substr(0, cut);
  if (g.has(first) && !g.has_group(first)) return;
  elucid::hdf5::Group sub = g.has_group(first) ? g.group(first) : g.create_group(first);
  nested(p, sub, path.substr(cut + 1));
}

void strings(Program& p, elucid::hdf5::Group& g, const std::string& name, const std::vector<std::string>& values) {
  if (p.next() % 4 == 0 && values.size() == 1) return g.set_string_attribute(name, values[0], true);
  g.set_strings_attribute(name, values);
}

void legacy(Program& p, elucid::hdf5::Group& g) {
  std::vector<std::string> layers;
  for (int n = p.next() % 7; n > 0; --n) layers.push_back(p.pick(kLayers));
  strings(p, g, "layer_names", layers);
  for (const std::string& layer : layers) {
    if (g.has(layer) || p.next() % 16 == 0) continue;
    elucid::hdf5::Group lg = g.create_group(layer);
    std::vector<std::string> names;
    for (int n = p.next() % 6; n > 0; --n) names.push_back(p.pick(kWeights));
    strings(p, lg, "weight_names", names);
    for (const std::string& w : names) nested(p, lg, w);
  }
}

const char* const kOptimizerWeights[] = {"Adam/iter:0", "iteration:0", "Adam/conv2d/kernel/m:0", "Adam/m/conv2d/kernel:0",
                                         "Adam/dense/bias/v:0", "Adam/v/dense/bias:0", "Adam/x/m:0", "iter:0/m:0"};

// A dataset at a nested path, in `shape` unless the program says otherwise.
void nested_like(Program& p, elucid::hdf5::Group& g, const std::string& path, const elucid::Shape& shape) {
  if (p.next() % 4 == 0) return nested(p, g, path);
  const size_t cut = path.find('/');
  if (cut == std::string::npos) {
    if (g.has(path)) return;
    if (shape.empty()) return g.write_int64(path, static_cast<int8_t>(p.next()));
    std::vector<float> values(static_cast<size_t>(elucid::numel(shape)), 0.5f);
    return g.write_floats(path, shape, values.data());
  }
  const std::string first = path.substr(0, cut);
  if (g.has(first) && !g.has_group(first)) return;
  elucid::hdf5::Group sub = g.has_group(first) ? g.group(first) : g.create_group(first);
  nested_like(p, sub, path.substr(cut + 1), shape);
}

// A whole tf.keras .h5 of the fixed model: its model_config and training_config, its weights (shaped as the program
// says), and optimizer_weights: the names OptimizerV2 gives them, or names the program picks.
void whole_model(Program& p, elucid::hdf5::Group& root) {
  static const std::pair<std::string, std::string> configs = [] {
    const std::string bytes = elucid::keras_h5_bytes(model());
    const elucid::hdf5::File file = elucid::hdf5::File::open(bytes, "model.h5");
    return std::pair{file.root().string_attribute("model_config"), file.root().string_attribute("training_config")};
  }();
  root.set_string_attribute("model_config", configs.first, false);
  root.set_string_attribute("training_config", configs.second, false);
  elucid::hdf5::Group g = root.create_group("model_weights");
  std::vector<std::string> layer_names;
  for (const auto& layer : model().layers()) layer_names.push_back(layer->name());
  strings(p, g, "layer_names", layer_names);
  for (const auto& layer : model().layers()) {
    elucid::hdf5::Group lg = g.create_group(layer->name());
    std::vector<std::string> names;
    for (const elucid::NamedTensor& w : layer->weights()) names.push_back(w.name + ":0");
    strings(p, lg, "weight_names", names);
    for (const elucid::NamedTensor& w : layer->weights()) nested_like(p, lg, w.name + ":0", w.tensor.shape());
  }
  elucid::hdf5::Group o = root.create_group("optimizer_weights");
  const std::vector<elucid::NamedTensor> params = model().trainable_weights();
  std::vector<std::pair<std::string, elucid::Shape>> names;
  if (p.next() % 2) {
    names.emplace_back("Adam/iter:0", elucid::Shape{});
    for (const char* slot : {"m", "v"})
      for (const elucid::NamedTensor& w : params) names.emplace_back("Adam/" + w.name + "/" + slot + ":0", w.tensor.shape());
  } else {
    for (int n = p.next() % 14; n > 0; --n) names.emplace_back(p.pick(kOptimizerWeights), params[p.next() % params.size()].tensor.shape());
  }
  std::vector<std::string> weight_names;
  for (const auto& [name, shape] : names) weight_names.push_back(name);
  strings(p, o, "weight_names", weight_names);
  for (const auto& [name, shape] : names) nested_like(p, o, name, shape);
}

void keras3(Program& p, elucid::hdf5::Group& root) {
  elucid::hdf5::Group layers = root.create_group("layers");
  for (int n = p.next() % 8; n > 0; --n) {
    const std::string layer = p.pick(kLayers);
    if (layers.has(layer)) continue;
    elucid::hdf5::Group lg = layers.create_group(layer);
    if (p.next() % 8 == 0) continue;  // no vars
    elucid::hdf5::Group vars = lg.create_group("vars");
    for (int v = 0, count = p.next() % 6; v < count; ++v) dataset(p, vars, std::to_string(v));
  }
  if (p.next() % 2) {
    elucid::hdf5::Group vars = root.create_group("optimizer").create_group("vars");
    vars.write_int64("0", static_cast<int8_t>(p.next()));
    for (int v = 1, count = p.next() % 16; v < count; ++v) dataset(p, vars, std::to_string(v));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program p{data, size};
  std::string bytes;
  const uint8_t layout = p.next();
  elucid::fuzz::run([&] {
    elucid::hdf5::File file = elucid::hdf5::File::create("fuzz.h5");
    if (layout % 4 == 0) {
      legacy(p, file.root());
    } else if (layout % 4 == 1) {
      elucid::hdf5::Group g = file.root().create_group("model_weights");
      legacy(p, g);
    } else if (layout % 4 == 2) {
      keras3(p, file.root());
    } else {
      whole_model(p, file.root());
    }
    bytes = file.bytes();
  });
  if (bytes.empty()) return 0;
  elucid::fuzz::run([&] { elucid::read_keras_h5_weights(model(), bytes, "fuzz.h5"); });
  elucid::fuzz::run([&] { elucid::read_keras_weights_h5(model(), bytes, "fuzz.weights.h5", true); });
  elucid::fuzz::run([&] { elucid::read_keras_h5(bytes, "fuzz.h5"); });
  return 0;
}
