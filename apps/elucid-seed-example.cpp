// The documented Keras ELU example, written with elucid: the seed network trained on Fashion-MNIST.
// Usage: elucid-seed-example [--epochs N] [--synthetic N]
//   --synthetic N trains on N generated images instead of Fashion-MNIST (CI runs it this way: no files needed).
#include <elucid/elucid.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

using namespace elucid;
using namespace elucid::layers;

int main(int argc, char** argv) try {
  int epochs = 5;
  int64_t synthetic = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--epochs" || arg == "--synthetic") && i + 1 < argc) {
      char* end = nullptr;
      const long value = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || value < 1) throw Error(arg + ": expected a positive whole number, got \"" + argv[i] + "\"");
      if (arg == "--epochs") epochs = static_cast<int>(value);
      else synthetic = value;
    } else {
      std::cerr << "usage: elucid-seed-example [--epochs N] [--synthetic N]\n";
      return 2;
    }
  }

  Tensor x_train, y_train, x_test, y_test;
  if (synthetic > 0) {
    std::tie(x_train, y_train) = datasets::synthetic_squares(synthetic, 1);
    std::tie(x_test, y_test) = datasets::synthetic_squares(synthetic / 4 + 1, 2);
  } else {
    auto [train, test] = datasets::fashion_mnist::load_data();
    std::tie(x_train, y_train) = data::to_tensors(*train);
    std::tie(x_test, y_test) = data::to_tensors(*test);
  }

  Sequential model;
  model.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(Flatten());
  model.add(Dense(64, {.activation = activations::elu(/*alpha=*/1.0)}));
  model.add(Dense(10));
  model.summary();  // 93,322 parameters
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  History history = model.fit(x_train, y_train, {.batch_size = 32, .epochs = epochs, .validation_split = 0.1});
  auto [loss, accuracy] = model.evaluate(x_test, y_test);
  Tensor probabilities = model.predict(x_test);

  std::cout << "test loss " << loss << ", test accuracy " << accuracy << "\n"
            << "predictions " << to_string(probabilities.shape()) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "elucid-seed-example: " << e.what() << "\n";
  return 1;
}
