// The ops merge layers need beyond add, sub and mul (layers/merge.hpp): the elementwise maximum of two tensors and the
// concatenation of several along one axis. Each backward sits right under its forward.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <cstring>

namespace elucid::ops {

using detail::check_defined;
using detail::check_same_shape;
using detail::shape_of;

// ---- maximum: the gradient goes to a where a >= b, else to b (TensorFlow's rule for ties) ----

Tensor maximum(const Tensor& a, const Tensor& b) {
  check_same_shape("maximum", a, b);
  Tensor y(a.shape());
  const float *pa = a.data(), *pb = b.data();
  float* py = y.data();
  for (int64_t i = 0; i < y.size(); ++i) py[i] = pa[i] >= pb[i] ? pa[i] : pb[i];
  if (needs_grad(a, b))
    y.set_backward("maximum", {a, b}, [](std::span<const Tensor> in, const float* g) {
      Tensor a = in[0], b = in[1];
      const float *pa = a.data(), *pb = b.data();
      if (a.requires_grad()) {
        float* ga = a.grad_data();
        for (int64_t i = 0; i < a.size(); ++i)
          if (pa[i] >= pb[i]) ga[i] += g[i];
      }
      if (b.requires_grad()) {
        float* gb = b.grad_data();
        for (int64_t i = 0; i < b.size(); ++i)
          if (pa[i] < pb[i]) gb[i] += g[i];
      }
    });
  return y;
}

// ---- concatenate ----
// Each input seen as (outer, width_k, inner) around the axis: the output is (outer, sum of width_k, inner), input k's
// rows copied to columns [offset_k, offset_k + width_k) of each outer row. The backward copies them back out.

namespace {
// The product of dims [from, to).
int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}
}  // namespace

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw Error("concatenate: no inputs");
  for (const Tensor& x : xs) check_defined("concatenate", x, "input");
  const Shape& first = xs[0].shape();
  const int rank = static_cast<int>(first.size());
  const int a = axis < 0 ? axis + rank : axis;
  if (rank == 0 || a < 0 || a >= rank)
    throw Error("concatenate: axis " + std::to_string(axis) + " is outside inputs of rank " + std::to_string(rank));
  Shape out_shape = first;
  out_shape[a] = 0;
  for (const Tensor& x : xs) {
    const Shape& s = x.shape();
    bool fits = s.size() == first.size();
    for (int i = 0; fits && i < rank; ++i) fits = i == a || s[i] == first[i];
    if (!fits)
      throw Error("concatenate: " + shape_of(xs[0]) + " and " + shape_of(x) + " differ off axis " +
                  std::to_string(axis));
    out_shape[a] += s[a];
  }
  Tensor y(out_shape);
  const auto ua = static_cast<size_t>(a);
  const int64_t outer = product(first, 0, ua), inner = product(first, ua + 1, first.size());
  const int64_t out_row = out_shape[a] * inner;
  std::vector<int64_t> offsets;  // each input's first column in an output row
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    offsets.push_back(offset);
    const int64_t row = x.shape()[a] * inner;
    const float* px = x.data();
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(y.data() + o * out_row + offset, px + o * row, sizeof(float) * static_cast<size_t>(row));
    offset += row;
  }
  const bool any_grad = std::any_of(xs.begin(), xs.end(), [](const Tensor& x) { return needs_grad(x); });
  if (any_grad)
    y.set_backward("concatenate", xs, [outer, inner, out_row, offsets, a](std::span<const Tensor> in, const float* g) {
      for (size_t k = 0; k < in.size(); ++k) {
        Tensor x = in[k];
        if (!x.requires_grad()) continue;
        const int64_t row = x.shape()[static_cast<size_t>(a)] * inner;
        float* gx = x.grad_data();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < row; ++j) gx[o * row + j] += g[o * out_row + offsets[k] + j];
      }
    });
  return y;
}

}  // namespace elucid::ops
