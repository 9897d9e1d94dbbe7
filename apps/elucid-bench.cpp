// elucid-bench: training and inference throughput of the seed model (the Keras ELU example), for
// ../shared/bench/compare.sh. Trains one pass over --samples Fashion-MNIST images (synthetic images of the same
// shape when the files are absent), then predicts as many. The last line printed is one JSON object.
// Usage: elucid-bench [--batch B] [--samples N] [--threads T]
#include <elucid/elucid.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <sys/resource.h>

using namespace elucid;
using namespace elucid::layers;

namespace {
// The seed model's arithmetic per sample: 2 * multiply-adds of the three convolutions and two dense layers.
constexpr double kForwardFlops = 2.0 * (26 * 26 * 32 * 9 * 1 + 11 * 11 * 64 * 9 * 32 + 3 * 3 * 64 * 9 * 64 +
                                        576 * 64 + 64 * 10);
// Backward: the weight gradients cost a forward again, the input gradients too except for the first layer's.
constexpr double kTrainFlops = 3 * kForwardFlops - 2.0 * (26 * 26 * 32 * 9 * 1);  // about 16.4 MFLOP

long parse(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 0) throw Error(flag + ": expected a whole number, got \"" + text + "\"");
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) try {
  long batch = 32, samples = 20000, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch") batch = parse(flag, argv[i + 1]);
    else if (flag == "--samples") samples = parse(flag, argv[i + 1]);
    else if (flag == "--threads") threads = parse(flag, argv[i + 1]);
    else throw Error(flag + ": unknown argument; usage: elucid-bench [--batch B] [--samples N] [--threads T]");
  }
  if (argc % 2 == 0) throw Error(std::string(argv[argc - 1]) + ": needs a value");
  if (batch < 1 || samples < batch) throw Error("--batch must be at least 1 and --samples at least --batch");
  set_num_threads(static_cast<int>(threads));

  std::shared_ptr<const data::Dataset> train;
  const char* source = "fashion_mnist";
  try {
    train = data::subset(datasets::fashion_mnist::load_data().train, 0, samples);
  } catch (const Error&) {
    auto [x, y] = datasets::synthetic_squares(samples, 1);
    train = std::make_shared<data::TensorDataset>(x, y);
    source = "synthetic";
  }

  Sequential model;
  model.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(Flatten());
  model.add(Dense(64, {.activation = "elu"}));
  model.add(Dense(10));
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});

  auto start = std::chrono::steady_clock::now();
  History h = model.fit(train, {.batch_size = static_cast<int>(batch), .epochs = 1, .verbose = 0});
  const double train_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  Tensor scores = model.predict(*train, {.batch_size = static_cast<int>(batch)});
  const double infer_s = seconds_since(start);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double n = static_cast<double>(samples);
  std::printf("seed model, %s, %ld samples, batch %ld, %d threads: train %.1f s, inference %.1f s, loss %.4f\n",
              source, samples, batch, num_threads(), train_s, infer_s, h["loss"].back());
  std::printf("{\"train_samples_per_s\": %.1f, \"infer_samples_per_s\": %.1f, \"batch\": %ld, \"threads\": %d, "
              "\"peak_rss_mb\": %.1f, \"train_gflops\": %.2f, \"infer_gflops\": %.2f, \"samples\": %ld, "
              "\"data\": \"%s\"}\n",
              n / train_s, n / infer_s, batch, num_threads(), static_cast<double>(usage.ru_maxrss) / 1024.0,
              n * kTrainFlops / train_s * 1e-9, n * kForwardFlops / infer_s * 1e-9, samples, source);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "elucid-bench: " << e.what() << "\n";
  return 2;
}
