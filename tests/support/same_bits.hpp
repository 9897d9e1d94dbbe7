// Checks the bit-for-bit tests share: two lists of named weights hold the same names, shapes and float bits; an
// op's output and input gradient at a given thread count (run_at), to compare at 1 and 2 threads.
#pragma once
#include "support/grad_check.hpp"

#include <elucid/core/parallel.hpp>
#include <elucid/layers/layer.hpp>

#include <cstring>
#include <utility>
#include <vector>

namespace elucid::test {

inline bool same_bits(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].tensor.shape() != b[i].tensor.shape()) return false;
    if (std::memcmp(a[i].tensor.data(), b[i].tensor.data(), sizeof(float) * a[i].tensor.size()) != 0) return false;
  }
  return true;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {  // empty ones: no memcmp of null
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// A tensor's values, copied: to keep after the tensor changes, and to compare with same_bits.
inline std::vector<float> values_of(const Tensor& t) { return {t.values().begin(), t.values().end()}; }

// y = op(x) for a random x of `shape`, and x's gradient under a random cotangent, at `threads` threads.
template <class Op>
std::pair<std::vector<float>, std::vector<float>> run_at(int threads, Shape shape, Op op) {
  set_num_threads(threads);
  Tensor x = grad_check::random_tensor(std::move(shape), 70);
  Tensor y = op(x);
  grad_check::Vec weights(static_cast<size_t>(y.size()));
  Random rng(71);
  for (double& v : weights) v = rng.uniform(-1, 1);
  grad_check::weighted_sum(y, weights).backward();
  auto result = std::make_pair(values_of(y), values_of(x.grad()));
  set_num_threads(0);
  return result;
}

}  // namespace elucid::test
