// An IDX file (MNIST's format: big-endian dimension count and sizes, then uint8 values) as a uint8 libtorch tensor,
// for the libtorch reference programs beside it.
#pragma once
#include <torch/torch.h>
#include <fstream>
#include <string>
#include <vector>
inline torch::Tensor idx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  auto be = [&] { unsigned char b[4]; f.read((char*)b, 4); return (int64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; };
  int nd = be() & 0xff; std::vector<int64_t> dims; int64_t n = 1;
  for (int i = 0; i < nd; i++) { dims.push_back(be()); n *= dims.back(); }
  auto t = torch::empty(dims, torch::kUInt8); f.read((char*)t.data_ptr(), n); return t;
}
