// Keras' dtype policies, as keras.mixed_precision has them: "float32" (the default) and "mixed_bfloat16".
// Under mixed_bfloat16 a layer keeps its weights (and the optimizer its state) in float32 and computes in bfloat16:
// its inputs are rounded to bfloat16 (Keras' autocast), and Conv2D's and Dense's products multiply bfloat16
// operands (the weights rounded too) with the CPU's AVX512_BF16 dot products, summing in float32. The loss, softmax
// and BatchNormalization's statistics stay in float32, as do the tensors in memory: a bfloat16 value is a float
// whose low 16 bits are zero. A layer takes the global policy when it is made, or its options' `.dtype`:
//   elucid::mixed_precision::set_global_policy("mixed_bfloat16");
//   Conv2D(32, {3, 3}, {.dtype = "float32"});   // this one layer in float32
#pragma once
#include <string>

namespace elucid::mixed_precision {

class DTypePolicy {
 public:
  DTypePolicy() = default;  // float32
  // "float32" or "mixed_bfloat16"; any other name throws elucid::Error naming it and the two.
  explicit DTypePolicy(const std::string& name);

  std::string name() const { return mixed_bfloat16_ ? "mixed_bfloat16" : "float32"; }
  std::string compute_dtype() const { return mixed_bfloat16_ ? "bfloat16" : "float32"; }
  std::string variable_dtype() const { return "float32"; }
  bool is_mixed_bfloat16() const { return mixed_bfloat16_; }
  bool operator==(const DTypePolicy&) const = default;

 private:
  bool mixed_bfloat16_ = false;
};

// The policy layers made from now on take (Keras' keras.mixed_precision.set_global_policy); float32 at start.
void set_global_policy(const DTypePolicy& policy);
void set_global_policy(const std::string& name);
DTypePolicy global_policy();

// True when a layer of this policy computes in bfloat16 on this machine: the policy is mixed_bfloat16 and the CPU
// has AVX512_BF16. Without it, the first call for a mixed policy prints one line to stderr saying so, and layers
// compute in float32 (an emulation on float32 products would be slower than float32 itself).
bool computes_in_bfloat16(const DTypePolicy& policy);

}  // namespace elucid::mixed_precision
