// elucid-bench: training and inference throughput of the seed model (the Keras ELU example), or with --model resblock
// of a small residual network (apps/resblock_model.hpp), for scripts/bench/compare.sh. Trains one pass over --samples
// Fashion-MNIST images (synthetic images of the same shape when the files are absent), then predicts as many. The
// last line printed is one JSON object.
// Only the first N images and labels are read (not the whole 60,000: gunzipping them all took longer than a small
// run's training). Inference runs at batch 256, as the libtorch reference (scripts/bench/libtorch_seed.cpp) does.
// Usage: elucid-bench [--model seed|resblock] [--batch B] [--samples N] [--threads T] [--fixed-threads]
//                     [--dtype-policy float32|mixed_bfloat16] [--warmup W]
// --warmup: training steps taken before the timed pass (30 by default, as the oneDNN reference's), and inference
// batches predicted before the timed predict (5 at most, as the ONNX Runtime reference's): the figures are the
// steady state's, without the first steps' one-time costs (memory first touched, buffers grown).
// --dtype-policy: the model's layers under that Keras dtype policy (layers/dtype_policy.hpp); float32 by default.
// --fixed-threads: every parallel region on T threads, as if the machine were idle (core/parallel.hpp); without it the
// team follows the cores other processes leave free.
#include <elucid/apps/resblock_model.hpp>
#include <elucid/apps/seed_model.hpp>
#include <elucid/data/byte_reader.hpp>
#include <elucid/elucid.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <sys/resource.h>

using namespace elucid;

namespace {
// The seed model's arithmetic per sample: 2 * multiply-adds of the three convolutions and two dense layers.
constexpr double kSeedForwardFlops = 2.0 * (26 * 26 * 32 * 9 * 1 + 11 * 11 * 64 * 9 * 32 + 3 * 3 * 64 * 9 * 64 +
                                            576 * 64 + 64 * 10);
// The residual network's: the stem's convolution from 1 channel, the block's two from 32, all at 28x28, and the dense
// layer; BatchNormalization, ReLU, Add and the poolings are not counted.
constexpr double kResblockForwardFlops = 2.0 * (28 * 28 * 32 * 9 * 1 + 2 * 28 * 28 * 32 * 9 * 32 + 32 * 10);

// One model to measure: its name in the output, the network, and its arithmetic per sample.
struct BenchModel {
  const char* name;
  std::unique_ptr<train::Trainer> model;
  double forward_flops;
  double train_flops;  // the weight gradients cost a forward again, the input gradients too but for the first layer's
};

BenchModel bench_model(const std::string& name) {
  if (name == "seed")  // about 16.4 MFLOP to train on a sample
    return {"seed model", std::make_unique<Sequential>(examples::seed_model()), kSeedForwardFlops,
            3 * kSeedForwardFlops - 2.0 * (26 * 26 * 32 * 9 * 1)};
  if (name == "resblock")  // about 87.6 MFLOP to train on a sample
    return {"resblock", std::make_unique<Functional>(examples::resblock_model()), kResblockForwardFlops,
            3 * kResblockForwardFlops - 2.0 * (28 * 28 * 32 * 9 * 1)};
  throw Error("--model: expected seed or resblock, got \"" + name + "\"");
}

long parse(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 0) throw Error(flag + ": expected a whole number, got \"" + text + "\"");
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds (user + system) of the whole process so far: on a busy machine, cpu / wall tells how much of the
// wall time the bench actually ran.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// The first `count` records of an IDX file (raw or .gz) of `record` bytes each, after its `header` bytes.
std::vector<uint8_t> read_records(const std::string& path, int64_t header, int64_t record, int64_t count) {
  data::ByteReader in(path);
  std::vector<uint8_t> head(static_cast<size_t>(header));
  std::vector<uint8_t> bytes(static_cast<size_t>(record * count));
  if (in.read(head.data(), header) != header || in.read(bytes.data(), record * count) != record * count)
    throw Error(path + ": holds fewer than " + std::to_string(count) + " records");
  return bytes;
}

// The first `samples` Fashion-MNIST training images and labels, from $ELUCID_DATA/fashion-mnist or the Debian
// package's directory; throws elucid::Error when neither holds the files.
std::shared_ptr<const data::Dataset> fashion_mnist_head(int64_t samples) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv(datasets::kDataEnvironmentVariable); env && *env)
    dirs.push_back(std::string(env) + "/fashion-mnist");
  dirs.push_back(datasets::fashion_mnist::kPackageDirectory);
  for (const std::string& dir : dirs)
    for (const std::string ext : {"", ".gz"}) {
      const std::string images = dir + "/train-images-idx3-ubyte" + ext, labels = dir + "/train-labels-idx1-ubyte" + ext;
      if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) continue;
      std::vector<uint8_t> pixels = read_records(images, 16, int64_t{28} * 28, samples);
      const std::vector<uint8_t> label_bytes = read_records(labels, 8, 1, samples);
      return std::make_shared<data::ImageDataset>(Shape{samples, 28, 28, 1}, std::move(pixels),
                                                  std::vector<int32_t>(label_bytes.begin(), label_bytes.end()),
                                                  datasets::fashion_mnist::class_names());
    }
  throw Error("Fashion-MNIST not found");
}

// The global dtype policy of --dtype-policy; an unknown name is an error naming the flag.
void set_policy(const std::string& flag, const std::string& name) {
  try {
    mixed_precision::set_global_policy(name);
  } catch (const Error& e) {
    throw Error(flag + ": " + e.what());
  }
}
}  // namespace

int main(int argc, char** argv) try {
  long batch = 32, samples = 20000, threads = 0, warmup = 30;
  std::string model_name = "seed";
  bool fixed_threads = false;
  const std::string usage_line = "usage: elucid-bench [--model seed|resblock] [--batch B] [--samples N] [--threads T] "
                                 "[--fixed-threads] [--dtype-policy float32|mixed_bfloat16] [--warmup W]";
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage_line << "\n";
      return 0;
    }
    if (flag == "--fixed-threads") {
      fixed_threads = true;
      --i;  // a switch: no value follows
      continue;
    }
    if (i + 1 == argc) throw Error(flag + ": needs a value");
    if (flag == "--model") model_name = argv[i + 1];
    else if (flag == "--batch") batch = parse(flag, argv[i + 1]);
    else if (flag == "--samples") samples = parse(flag, argv[i + 1]);
    else if (flag == "--threads") threads = parse(flag, argv[i + 1]);
    else if (flag == "--warmup") warmup = parse(flag, argv[i + 1]);
    else if (flag == "--dtype-policy") set_policy(flag, argv[i + 1]);  // before the model is made
    else throw Error(flag + ": unknown argument; " + usage_line);
  }
  if (batch < 1 || samples < batch) throw Error("--batch must be at least 1 and --samples at least --batch");
  set_num_threads(static_cast<int>(threads));
  set_follow_free_cores(!fixed_threads);

  std::shared_ptr<const data::Dataset> train;
  const char* source = "fashion_mnist";
  try {
    train = fashion_mnist_head(samples);
  } catch (const Error&) {
    auto [x, y] = datasets::synthetic_squares(samples, 1);
    train = std::make_shared<data::TensorDataset>(x, y);
    source = "synthetic";
  }

  BenchModel bench = bench_model(model_name);
  train::Trainer& model = *bench.model;
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});

  constexpr int kInferBatch = 256;
  constexpr long kInferWarmupBatches = 5;
  if (warmup > 0) {  // the steps train the model: the timed pass starts from where they left it
    const FitOptions options{.batch_size = static_cast<int>(batch), .epochs = 1, .verbose = 0};
    for (long taken = 0; taken < warmup; taken += samples / batch)
      model.fit(data::subset(train, 0, std::min(samples, (warmup - taken) * batch)), options);
    model.predict(*data::subset(train, 0, std::min(samples, kInferWarmupBatches * kInferBatch)),
                  {.batch_size = kInferBatch});
  }
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  History h = model.fit(train, {.batch_size = static_cast<int>(batch), .epochs = 1, .verbose = 0});
  const double train_s = seconds_since(start), train_cpu_s = cpu_seconds() - cpu_start;
  start = std::chrono::steady_clock::now();
  cpu_start = cpu_seconds();
  Tensor scores = model.predict(*train, {.batch_size = kInferBatch});
  const double infer_s = seconds_since(start), infer_cpu_s = cpu_seconds() - cpu_start;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double n = static_cast<double>(samples);
  std::printf("%s, %s, %ld samples, batch %ld, %d threads: train %.1f s, inference %.1f s, loss %.4f\n",
              bench.name, source, samples, batch, num_threads(), train_s, infer_s, h["loss"].back());
  std::printf("{\"train_samples_per_s\": %.1f, \"infer_samples_per_s\": %.1f, \"batch\": %ld, \"threads\": %d, "
              "\"peak_rss_mb\": %.1f, \"train_gflops\": %.2f, \"infer_gflops\": %.2f, \"samples\": %ld, "
              "\"infer_batch\": %d, \"train_cpu_s\": %.2f, \"infer_cpu_s\": %.2f, \"data\": \"%s\", "
              "\"follows_free_cores\": %s, \"model\": \"%s\", \"dtype_policy\": \"%s\", \"bfloat16\": %s, "
              "\"warmup_steps\": %ld}\n",
              n / train_s, n / infer_s, batch, num_threads(), static_cast<double>(usage.ru_maxrss) / 1024.0,
              n * bench.train_flops / train_s * 1e-9, n * bench.forward_flops / infer_s * 1e-9, samples, kInferBatch,
              train_cpu_s, infer_cpu_s, source, follows_free_cores() ? "true" : "false", model_name.c_str(),
              mixed_precision::global_policy().name().c_str(),
              mixed_precision::computes_in_bfloat16(mixed_precision::global_policy()) ? "true" : "false", warmup);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "elucid-bench: " << e.what() << "\n";
  return 2;
}
