// A small residual network on Fashion-MNIST with the Functional API: the model of
// examples/recipes/fashion_mnist_resnet.json (elucid train runs that one), written in C++. Random flips and shifts in
// training, a BatchNormalization stem, two residual blocks, 143,402 parameters.
// Usage: resnet [EPOCHS] [MODEL_FILE]   (default 20 epochs, resnet.elucid; Fashion-MNIST from the Debian package
// dataset-fashion-mnist, or $ELUCID_DATA)
#include <elucid/elucid.hpp>

#include <iostream>
#include <string>

using namespace elucid;
using namespace elucid::layers;

// Conv2D without bias (BatchNormalization's beta is the bias), BatchNormalization, and a ReLU if asked.
KerasTensor conv_bn(const KerasTensor& x, int64_t filters, bool relu) {
  KerasTensor y = BatchNormalization()(Conv2D(filters, {3, 3}, {.padding = "same", .use_bias = false})(x));
  return relu ? ReLU()(y) : y;
}

// x + F(x), then ReLU: F is Conv-BN-ReLU-Conv-BN on the same number of channels.
KerasTensor residual_block(const KerasTensor& x, int64_t filters) {
  return ReLU()(Add()({x, conv_bn(conv_bn(x, filters, true), filters, false)}));
}

int main(int argc, char** argv) try {
  const int epochs = argc > 1 ? std::stoi(argv[1]) : 20;
  set_random_seed(0);
  KerasTensor image = Input({28, 28, 1}, "image");
  KerasTensor x = RandomFlip("horizontal")(image);
  x = RandomTranslation(0.05, 0.05, {.fill_mode = "constant"})(x);
  x = MaxPooling2D({2, 2})(conv_bn(x, 32, true));  // (14, 14, 32)
  x = residual_block(x, 32);
  x = MaxPooling2D({2, 2})(conv_bn(x, 64, true));  // (7, 7, 64)
  x = residual_block(x, 64);
  KerasTensor logits = Dense(10)(Dropout(0.3)(Flatten()(x)));
  Functional model(image, logits, "fashion_mnist_resnet");
  model.summary();

  auto [train, test] = datasets::fashion_mnist::load_data();
  const int64_t steps = epochs * ((train->size() * 9 / 10 + 63) / 64);  // the 90 % fit trains on, in batches of 64
  model.compile(optimizers::Adam({.learning_rate = optimizers::schedules::CosineDecay(2e-3f, steps)}),
                losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  model.fit(train, {.batch_size = 64, .epochs = epochs, .validation_split = 0.1});
  auto [loss, accuracy] = model.evaluate(test);
  std::cout << "test accuracy: " << accuracy << "\n";
  model.save(argc > 2 ? argv[2] : "resnet.elucid");
} catch (const std::exception& e) {
  std::cerr << "resnet: " << e.what() << "\n";
  return 1;
}
