// GradBuffer: where a backward function writes one input's gradient. A fresh buffer was just allocated and holds
// unspecified values, so the first contribution overwrites it instead of being added to a zero-fill (one pass over
// memory less per gradient; in a chain such as the seed model every intermediate gradient has one contribution).
#pragma once

#include <algorithm>
#include <cstdint>

namespace elucid {

struct GradBuffer {
  float* data = nullptr;  // null: this input needs no gradient
  bool fresh = false;     // true: write every element (assign); false: add into what is there
};

// Adds n values into a gradient buffer (copies them into a fresh one).
inline void add_into(GradBuffer to, const float* g, int64_t n) {
  if (to.fresh)
    std::copy(g, g + n, to.data);
  else
    for (int64_t i = 0; i < n; ++i) to.data[i] += g[i];
}

}  // namespace elucid
