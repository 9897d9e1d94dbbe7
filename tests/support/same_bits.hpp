// One check the weight tests share: two lists of named weights hold the same names, shapes and float bits.
#pragma once
#include <elucid/layers/layer.hpp>

#include <cstring>
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

}  // namespace elucid::test
