// Loads the model `train` saved and classifies synthetic images it has not seen; exits with status 1 when fewer
// than 90% are right, so a broken build, install or model file fails loudly.
// Usage: predict [MODEL_FILE]   (default model.elucid)
#include <elucid/elucid.hpp>

#include <algorithm>
#include <iostream>

using namespace elucid;

int main(int argc, char** argv) try {
  Sequential model = load_model(argc > 1 ? argv[1] : "model.elucid");
  auto [x, y] = datasets::synthetic_squares(/*n=*/200, /*seed=*/2);
  const Tensor logits = model.predict(x);  // (200, 10)
  const int64_t n = logits.dim(0), classes = logits.dim(1);
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * classes;
    const int64_t predicted = std::max_element(row, row + classes) - row;
    if (predicted == static_cast<int64_t>(y.at({i}))) ++right;
    if (i < 5) std::cout << "image " << i << ": class " << predicted << " (true " << y.at({i}) << ")\n";
  }
  const double accuracy = static_cast<double>(right) / static_cast<double>(n);
  std::cout << "accuracy on " << n << " new images: " << accuracy << "\n";
  return accuracy >= 0.9 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "predict: " << e.what() << "\n";
  return 1;
}
