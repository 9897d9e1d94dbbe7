// elucid-kernel-bench: times forward + backward of the seed model's heavy ops (conv2d, max_pool2d, elu, matmul) at
// batch 32 through the ops API, as training runs them, and prints the median time and GFLOP/s of each; then two cases
// outside the seed model: a product at the kernels' peak, and the residual block's same-padding convolution.
// Usage: elucid-kernel-bench [--threads N] [--repeats R] [--only TEXT] [--bf16]   (N = 0: all cores; TEXT picks
// cases by name; --bf16: conv2d and matmul with bf16 products, Keras' mixed_bfloat16, on a CPU with AVX512_BF16)
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/core/random.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace elucid;

namespace {

Tensor random_tensor(Shape shape, uint64_t seed, bool requires_grad) {
  Tensor t(std::move(shape));
  Random rng(seed);
  for (float& v : t.values()) v = rng.uniform(-1.0f, 1.0f);
  if (requires_grad) t.set_requires_grad();
  return t;
}

// A scalar whose backward hands the fixed gradient `dy` to y: backward() then runs y's op backward exactly once.
Tensor seed_gradient(const Tensor& y, const std::shared_ptr<std::vector<float>>& dy) {
  Tensor s = Tensor::scalar(0);
  s.set_backward("bench_seed", {y}, [dy](std::span<const Tensor> in, const float*) {
    Tensor y = in[0];
    std::memcpy(y.grad_data(), dy->data(), dy->size() * sizeof(float));
  });
  return s;
}

struct Case {
  std::string name;
  double flops;                                   // per forward + backward
  std::function<Tensor()> forward;                // builds the graph
  std::vector<Tensor> params;                     // leaves whose gradients are dropped between repeats
  bool seed_op = true;                            // an op of the seed model: counted in the sum
};

struct Timing {
  double median_ms, best_ms;
};

Timing time_case(const Case& c, int repeats) {
  Tensor probe = c.forward();
  auto dy = std::make_shared<std::vector<float>>(static_cast<size_t>(probe.size()));
  Random rng(3);
  for (float& v : *dy) v = rng.uniform(-1.0f, 1.0f);
  std::vector<double> times;
  for (int r = 0; r < repeats + 3; ++r) {  // 3 warm-up runs fill the workspaces
    for (Tensor p : c.params) p.zero_grad();
    const auto t0 = std::chrono::steady_clock::now();
    seed_gradient(c.forward(), dy).backward();
    const auto t1 = std::chrono::steady_clock::now();
    if (r >= 3) times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2], times.front()};
}

// conv2d flops: forward 2*N*OH*OW*K*F, the same again for dW, and again for dX when the input needs it.
Case conv_case(int64_t n, int64_t h, int64_t c, int64_t f, bool input_grad, bool bf16,
               ops::Padding padding = ops::Padding::Valid) {
  Tensor x = random_tensor({n, h, h, c}, 1, input_grad);
  Tensor w = random_tensor({3, 3, c, f}, 2, true);
  Tensor b = random_tensor({f}, 3, true);
  const bool same = padding == ops::Padding::Same;
  const int64_t oh = same ? h : h - 2;
  const double fwd = 2.0 * n * oh * oh * 9 * c * f;
  char name[96];
  std::snprintf(name, sizeof name, "conv2d %ldx%ldx%ldx%ld -> %ld 3x3%s", long(n), long(h), long(h), long(c), long(f),
                same ? " same" : "");
  ops::Conv2DArgs args;
  args.bf16_products = bf16;
  args.padding = padding;
  return {name, fwd * (input_grad ? 3 : 2), [=] { return ops::conv2d(x, w, b, args); }, {x, w, b}};
}

// max_pool2d 2x2: 3 comparisons per output forward, one add per output backward.
Case pool_case(int64_t n, int64_t h, int64_t c) {
  Tensor x = random_tensor({n, h, h, c}, 4, true);
  const int64_t oh = h / 2;  // the pooled side (floor)
  const double outputs = static_cast<double>(n) * oh * oh * c;
  char name[96];
  std::snprintf(name, sizeof name, "max_pool2d %ldx%ldx%ldx%ld 2x2", long(n), long(h), long(h), long(c));
  return {name, 4 * outputs, [=] { return ops::max_pool2d(x, {}); }, {x}};
}

// elu: nominally one flop per element forward and two backward.
Case elu_case(const Shape& shape) {
  Tensor x = random_tensor(shape, 5, true);
  std::string name = "elu " + to_string(shape);
  return {name, 3.0 * static_cast<double>(x.size()), [=] { return ops::elu(x, 1.0f); }, {x}};
}

// matmul (M, K) x (K, N): 2*M*N*K forward, twice that backward.
Case matmul_case(int64_t m, int64_t k, int64_t n, bool bf16) {
  Tensor a = random_tensor({m, k}, 6, true);
  Tensor b = random_tensor({k, n}, 7, true);
  char name[96];
  std::snprintf(name, sizeof name, "matmul (%ld, %ld) x (%ld, %ld)", long(m), long(k), long(k), long(n));
  return {name, 6.0 * m * n * k, [=] { return ops::matmul(a, b, bf16); }, {a, b}};
}

// A case outside the seed model, left out of the sum, its name prefixed by why it is there ("peak", "resblock").
Case other_case(const char* why, Case c) {
  c.name = std::string(why) + ": " + c.name;
  c.seed_op = false;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int threads = 0, repeats = 21;
    bool bf16 = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if ((arg == "--threads" || arg == "--repeats") && i + 1 < argc) {
        (arg == "--threads" ? threads : repeats) = std::stoi(argv[++i]);
      } else if (arg == "--bf16") {
        bf16 = true;
      } else if (arg == "--only" && i + 1 < argc) {
        only = argv[++i];
      } else {
        std::fprintf(stderr, "usage: elucid-kernel-bench [--threads N] [--repeats R] [--only TEXT] [--bf16]\n");
        return 2;
      }
    }
    if (repeats < 1) throw Error("elucid-kernel-bench: --repeats must be >= 1");
    set_num_threads(threads);
    std::printf("elucid kernel bench: batch 32, forward + backward, median of %d, %d threads, %s products\n", repeats,
                num_threads(), bf16 ? "bf16" : "float32");
    const std::vector<Case> cases = {
        conv_case(32, 28, 1, 32, false, bf16), conv_case(32, 13, 32, 64, true, bf16),
        conv_case(32, 5, 64, 64, true, bf16),
        pool_case(32, 26, 32),           pool_case(32, 11, 64),           elu_case({32, 26, 26, 32}),
        elu_case({32, 11, 11, 64}),      elu_case({32, 3, 3, 64}),        matmul_case(32, 576, 64, bf16),
        matmul_case(32, 64, 10, bf16),
        // Not a seed-model op: a product large enough for the tiles to run at full speed, in cache, so its GFLOP/s
        // are what the product kernels reach on this CPU (the arithmetic limit the model's ops are measured against).
        other_case("peak", matmul_case(192, 256, 256, bf16)),
        // Not a seed-model op either: the residual block's convolution (docs/performance.md).
        other_case("resblock", conv_case(32, 28, 32, 32, true, bf16, ops::Padding::Same))};
    // The median is the figure to quote; the best run shows what the kernel does when no other process competes
    // for the cores (on a shared machine the two differ a lot).
    double total_median = 0, total_best = 0;
    std::printf("%-46s %10s %10s %10s %10s\n", "op", "median ms", "GFLOP/s", "best ms", "GFLOP/s");
    for (const Case& c : cases) {
      if (c.name.find(only) == std::string::npos) continue;
      const Timing t = time_case(c, repeats);
      if (c.seed_op) {
        total_median += t.median_ms;
        total_best += t.best_ms;
      }
      std::printf("%-46s %10.3f %10.1f %10.3f %10.1f\n", c.name.c_str(), t.median_ms, c.flops / (t.median_ms * 1e6),
                  t.best_ms, c.flops / (t.best_ms * 1e6));
    }
    std::printf("%-46s %10.3f %10s %10.3f\n", "sum of the seed model's ops", total_median, "", total_best);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "elucid-kernel-bench: %s\n", e.what());
    return 1;
  }
}
