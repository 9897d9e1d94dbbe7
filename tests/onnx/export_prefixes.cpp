// For scripts/check-onnx.sh: exports each prefix of a model file's layers as its own ONNX graph, so that ONNX Runtime
// can be compared with elucid at every layer's output (a graph gives its outputs only) and the first layer where the
// two part is named. Through elucid's public API only: the prefixes share the model's layers and weights.
//
//   export_prefixes MODEL OUT_DIR      writes OUT_DIR/layer_1.onnx (the first layer) ... layer_N.onnx (the model)
#include <elucid/elucid.hpp>

#include <iostream>
#include <memory>
#include <string>

int main(int argc, char** argv) try {
  using namespace elucid;
  if (argc != 3) {
    std::cerr << "usage: export_prefixes MODEL OUT_DIR\n";
    return 2;
  }
  const Sequential model = load_model(argv[1]);
  Sequential prefix(model.name());
  prefix.add(std::make_shared<layers::InputLayer>(layers::InputLayerOptions{.shape = model.input_shape()}));
  for (size_t i = 0; i < model.layers().size(); ++i) {
    prefix.add(model.layers()[i]);  // already built for this shape, named: added as it is
    export_onnx(prefix, std::string(argv[2]) + "/layer_" + std::to_string(i + 1) + ".onnx");
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "export_prefixes: " << e.what() << "\n";
  return 1;
}
