// The global dtype policy and the one-line notice for a CPU without AVX512_BF16.
#include <elucid/layers/dtype_policy.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <atomic>
#include <cstdio>

namespace elucid::mixed_precision {

DTypePolicy::DTypePolicy(const std::string& name) {
  if (name == "mixed_bfloat16") mixed_bfloat16_ = true;
  else if (name != "float32")
    throw Error("dtype policy \"" + name + "\" is not supported; elucid runs \"float32\" and \"mixed_bfloat16\"");
}

namespace {
std::atomic<bool> global_mixed_bfloat16{false};
}  // namespace

void set_global_policy(const DTypePolicy& policy) { global_mixed_bfloat16 = policy.is_mixed_bfloat16(); }
void set_global_policy(const std::string& name) { set_global_policy(DTypePolicy(name)); }
DTypePolicy global_policy() { return DTypePolicy(global_mixed_bfloat16 ? "mixed_bfloat16" : "float32"); }

bool computes_in_bfloat16(const DTypePolicy& policy) {
  if (!policy.is_mixed_bfloat16()) return false;
  if (ops::cpu_has_bf16_products()) return true;
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    std::fprintf(stderr, "elucid: mixed_bfloat16: this CPU has no AVX512_BF16 instructions; layers compute in "
                         "float32\n");
  return false;
}

}  // namespace elucid::mixed_precision
