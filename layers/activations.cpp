// The activation table: names, factories, and the op each one applies.
#include <elucid/layers/activations.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <array>

namespace elucid::activations {

namespace {
struct Entry {
  const char* name;
  Kind kind;
};
constexpr std::array<Entry, 11> kTable{{{"elu", Kind::Elu},
                                        {"relu", Kind::Relu},
                                        {"linear", Kind::Linear},
                                        {"sigmoid", Kind::Sigmoid},
                                        {"tanh", Kind::Tanh},
                                        {"softmax", Kind::Softmax},
                                        {"selu", Kind::Selu},
                                        {"softplus", Kind::Softplus},
                                        {"gelu", Kind::Gelu},
                                        {"swish", Kind::Swish},
                                        {"silu", Kind::Swish}}};
}  // namespace

Activation::Activation(const char* name) : Activation(std::string(name)) {}

Activation::Activation(const std::string& name) {
  for (const Entry& e : kTable)
    if (name == e.name) {
      kind_ = e.kind;
      name_ = name;
      return;
    }
  throw Error("unknown activation \"" + name + "\"; known activations: " + known_names());
}

std::string Activation::known_names() {
  std::string s;
  for (const Entry& e : kTable) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

bool Activation::is_non_decreasing() const {
  return kind_ != Kind::Softmax && kind_ != Kind::Gelu && kind_ != Kind::Swish;  // ELU's alpha is >= 0 (ops::elu)
}

Tensor Activation::apply(const Tensor& x) const {
  switch (kind_) {
    case Kind::Linear:
      return x;
    case Kind::Elu:
      return ops::elu(x, static_cast<float>(alpha_));
    case Kind::Relu:
      return ops::relu(x);
    case Kind::Sigmoid:
      return ops::sigmoid(x);
    case Kind::Tanh:
      return ops::tanh(x);
    case Kind::Softmax:
      return ops::softmax(x);
    case Kind::Selu:
      return ops::selu(x);
    case Kind::Softplus:
      return ops::softplus(x);
    case Kind::Gelu:
      return ops::gelu(x);
    case Kind::Swish:
      return ops::swish(x);
  }
  throw Error("activation \"" + name_ + "\": no op for this kind");  // unreachable: every Kind is handled above
}

Activation elu(double alpha) {
  Activation a("elu");
  a.alpha_ = alpha;
  return a;
}
Activation relu() { return Activation("relu"); }
Activation linear() { return Activation("linear"); }
Activation sigmoid() { return Activation("sigmoid"); }
Activation tanh() { return Activation("tanh"); }
Activation softmax() { return Activation("softmax"); }
Activation selu() { return Activation("selu"); }
Activation softplus() { return Activation("softplus"); }
Activation gelu() { return Activation("gelu"); }
Activation swish() { return Activation("swish"); }
Activation silu() { return Activation("silu"); }

}  // namespace elucid::activations
