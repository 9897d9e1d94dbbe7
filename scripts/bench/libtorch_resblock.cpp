// Reference: elucid-bench --model resblock (apps/resblock_model.hpp) in the PyTorch C++ frontend (Debian libtorch-dev
// 1.13). Images are (N, 1, 28, 28) here, channels first as libtorch wants them; the arithmetic is the same.
// Stem: Conv(1->32, 3x3, pad 1) BN ReLU; block: Conv(32->32) BN ReLU Conv(32->32) BN, + stem, ReLU;
// head: MaxPool 2 -> (N, 32, 14, 14), global average -> (N, 32), Linear(32, 10). Convolutions without bias, as in
// elucid's model; BatchNorm with Keras' epsilon 1e-3 and momentum 0.99 (libtorch counts it the other way: 0.01).
// Usage: libtorch_resblock DIR_WITH_UNZIPPED_IDX [train_limit] [batch] [threads]
#include <torch/torch.h>
#include <chrono>
#include <fstream>
#include <iostream>
#include "idx_tensor.hpp"
namespace nn = torch::nn;
static nn::Conv2d conv(int64_t in) { return nn::Conv2d(nn::Conv2dOptions(in, 32, 3).padding(1).bias(false)); }
static nn::BatchNorm2d bn() { return nn::BatchNorm2d(nn::BatchNorm2dOptions(32).eps(1e-3).momentum(0.01)); }
struct ResNetImpl : nn::Module {
  nn::Conv2d c0 = conv(1), c1 = conv(32), c2 = conv(32);
  nn::BatchNorm2d b0 = bn(), b1 = bn(), b2 = bn();
  nn::Linear fc{32, 10};
  ResNetImpl() {
    register_module("c0", c0); register_module("b0", b0); register_module("c1", c1); register_module("b1", b1);
    register_module("c2", c2); register_module("b2", b2); register_module("fc", fc);
  }
  torch::Tensor forward(torch::Tensor x) {
    auto stem = torch::relu(b0(c0(x)));
    auto y = b2(c2(torch::relu(b1(c1(stem)))));
    y = torch::relu(y + stem);
    return fc(torch::max_pool2d(y, 2).mean({2, 3}));
  }
};
TORCH_MODULE(ResNet);
int main(int argc, char** argv) {
  std::string d = argv[1];
  int64_t limit = argc > 2 ? std::stol(argv[2]) : 0, batch = argc > 3 ? std::stol(argv[3]) : 32;
  torch::set_num_threads(argc > 4 ? std::stoi(argv[4]) : 2); torch::manual_seed(0);
  auto xtr = idx(d + "/train-images-idx3-ubyte").to(torch::kFloat).div_(255).unsqueeze(1);
  auto ytr = idx(d + "/train-labels-idx1-ubyte").to(torch::kLong);
  auto xte = idx(d + "/t10k-images-idx3-ubyte").to(torch::kFloat).div_(255).unsqueeze(1);
  auto yte = idx(d + "/t10k-labels-idx1-ubyte").to(torch::kLong);
  if (limit) { xtr = xtr.slice(0, 0, limit); ytr = ytr.slice(0, 0, limit); }
  ResNet m;
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));
  int64_t n = xtr.size(0);
  auto perm = torch::randperm(n);
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; i += batch) {
    auto id = perm.slice(0, i, std::min(i + batch, n));
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(m->forward(xtr.index_select(0, id)), ytr.index_select(0, id));
    loss.backward(); opt.step();
  }
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  torch::NoGradGuard ng; m->eval();
  auto t1 = std::chrono::steady_clock::now(); int64_t correct = 0;
  for (int64_t i = 0; i < xte.size(0); i += 256)
    correct += (m->forward(xte.slice(0, i, i + 256)).argmax(1) == yte.slice(0, i, i + 256)).sum().item<int64_t>();
  double di = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::cout << "libtorch resblock n=" << n << " batch=" << batch << " threads=" << torch::get_num_threads()
            << " train_s=" << dt << " samples_per_s=" << n / dt << " test_acc=" << correct / double(xte.size(0))
            << " infer_samples_per_s=" << xte.size(0) / di << "\n";
}
