// GradBuffer: where a backward function writes one input's gradient. A fresh buffer was just allocated and holds
// unspecified values, so the first contribution overwrites it instead of being added to a zero-fill (one pass over
// memory less per gradient; in a chain such as the seed model every intermediate gradient has one contribution).
#pragma once

namespace elucid {

struct GradBuffer {
  float* data = nullptr;  // null: this input needs no gradient
  bool fresh = false;     // true: write every element (assign); false: add into what is there
};

}  // namespace elucid
