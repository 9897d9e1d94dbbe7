// DataParallel: the broadcast at the start of fit(), the gradient allreduce of each step, the moving statistics'
// average of each epoch.
#include <elucid/distributed/data_parallel.hpp>

#include <elucid/core/error.hpp>

#include <cstring>
#include <string>

namespace elucid::distributed {

namespace {

// What every rank must agree on before the first step: rank 0's copy is broadcast and compared.
struct StartHeader {
  uint64_t model_hash = 0;         // FNV-1a of every weight's name and shape, in order
  uint64_t values = 0;             // floats in all the weights
  uint64_t architecture_hash = 0;  // FNV-1a of the Keras JSON: layers without weights, and settings, count too
  int64_t epoch = 0, batch = 0;
};

uint64_t fnv1a(uint64_t hash, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

constexpr uint64_t kFnvOffset = 14695981039346656037ull;

StartHeader header_of(const std::vector<NamedTensor>& weights, std::string_view architecture, int64_t epoch,
                      int64_t batch) {
  StartHeader h{kFnvOffset, 0, fnv1a(kFnvOffset, architecture.data(), architecture.size()), epoch, batch};
  for (const auto& w : weights) {
    h.model_hash = fnv1a(h.model_hash, w.name.data(), w.name.size() + 1);
    for (int64_t d : w.tensor.shape()) h.model_hash = fnv1a(h.model_hash, &d, sizeof d);
    h.values += static_cast<uint64_t>(w.tensor.size());
  }
  return h;
}

std::span<std::byte> bytes_of(void* data, size_t bytes) { return {static_cast<std::byte*>(data), bytes}; }

// The optimizer state as bytes: iterations, learning rate, then each slot's name and values.
template <class T>
void put(std::vector<std::byte>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

std::vector<std::byte> serialize(const optimizers::OptimizerState& state) {
  std::vector<std::byte> out;
  put(out, state.iterations);
  put(out, state.learning_rate);
  put(out, static_cast<uint64_t>(state.slots.size()));
  for (const auto& slot : state.slots) {
    put(out, static_cast<uint64_t>(slot.name.size()));
    const auto* name = reinterpret_cast<const std::byte*>(slot.name.data());
    out.insert(out.end(), name, name + slot.name.size());
    put(out, static_cast<uint64_t>(slot.values.size()));
    const auto* values = reinterpret_cast<const std::byte*>(slot.values.data());
    out.insert(out.end(), values, values + slot.values.size() * sizeof(float));
  }
  return out;
}

// Reads what serialize() wrote (on another rank of the same build, so no validation beyond the sizes).
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  void read(void* to, size_t n) {
    if (n > bytes_.size() - at_) throw Error("DataParallel: the optimizer state broadcast from rank 0 is truncated");
    std::memcpy(to, bytes_.data() + at_, n);
    at_ += n;
  }
  template <class T>
  T get() {
    T value;
    read(&value, sizeof(T));
    return value;
  }

 private:
  std::span<const std::byte> bytes_;
  size_t at_ = 0;
};

optimizers::OptimizerState deserialize(std::span<const std::byte> bytes) {
  Reader in(bytes);
  optimizers::OptimizerState state;
  state.iterations = in.get<int64_t>();
  state.learning_rate = in.get<float>();
  state.slots.resize(in.get<uint64_t>());
  for (auto& slot : state.slots) {
    slot.name.resize(in.get<uint64_t>());
    in.read(slot.name.data(), slot.name.size());
    slot.values.resize(in.get<uint64_t>());
    in.read(slot.values.data(), slot.values.size() * sizeof(float));
  }
  return state;
}

}  // namespace

void DataParallel::start(const std::vector<NamedTensor>& weights, std::string_view architecture,
                         optimizers::Optimizer& optimizer, int64_t epoch, int64_t batch) {
  const bool root = strategy_.is_chief();
  const StartHeader mine = header_of(weights, architecture, epoch, batch);
  StartHeader chief = mine;
  strategy_.broadcast(bytes_of(&chief, sizeof chief), "the model check at the start of fit");
  const std::string who = "fit: rank " + std::to_string(strategy_.rank()) + " of " + std::to_string(strategy_.size());
  if (chief.model_hash != mine.model_hash || chief.values != mine.values)
    throw Error(who + " holds another model than rank 0: " + std::to_string(weights.size()) + " weights of " +
                std::to_string(mine.values) + " values, rank 0's have " + std::to_string(chief.values) +
                " values or other names or shapes");
  if (chief.architecture_hash != mine.architecture_hash)
    throw Error(who + " holds another architecture than rank 0: the same weights, but another Keras JSON (a layer "
                "without weights, or a layer's setting, differs)");
  if (chief.epoch != mine.epoch || chief.batch != mine.batch)
    throw Error(who + " starts at epoch " + std::to_string(mine.epoch + 1) + ", batch " + std::to_string(mine.batch) +
                ", rank 0 at epoch " + std::to_string(chief.epoch + 1) + ", batch " + std::to_string(chief.batch) +
                " (was the same checkpoint given to every rank?)");

  buffer_.resize(static_cast<size_t>(mine.values));
  float* at = buffer_.data();
  if (root)
    for (const auto& w : weights) at = std::copy(w.tensor.data(), w.tensor.data() + w.tensor.size(), at);
  strategy_.broadcast(bytes_of(buffer_.data(), buffer_.size() * sizeof(float)), "the initial weights");
  if (!root) {
    const float* from = buffer_.data();
    for (auto w : weights) {
      std::copy(from, from + w.tensor.size(), w.tensor.data());
      from += w.tensor.size();
    }
  }

  std::vector<std::byte> state = root ? serialize(optimizer.state()) : std::vector<std::byte>{};
  uint64_t state_bytes = state.size();
  strategy_.broadcast(bytes_of(&state_bytes, sizeof state_bytes), "the size of the optimizer state");
  state.resize(state_bytes);
  strategy_.broadcast(state, "the optimizer state");
  if (!root) optimizer.load_state(deserialize(state));
}

int64_t DataParallel::gradient_floats(std::span<const NamedTensor> params) {
  int64_t n = 0;
  for (const auto& p : params) n += p.tensor.size() + 1;
  return n;
}

void DataParallel::average_gradients(std::span<NamedTensor> params, int64_t count, int64_t total) {
  // buffer_: every parameter's gradient * count in the order of params, then one has-gradient flag per parameter.
  buffer_.resize(static_cast<size_t>(gradient_floats(params)));
  float* at = buffer_.data();
  float* flags = buffer_.data() + buffer_.size() - params.size();
  const auto weight = static_cast<float>(count);
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor& t = params[i].tensor;
    const bool has = t.has_grad();
    const float* g = has ? t.grad_data() : nullptr;
    for (int64_t j = 0; j < t.size(); ++j) at[j] = has ? g[j] * weight : 0.0f;
    at += t.size();
    flags[i] = has ? 1.0f : 0.0f;
  }
  strategy_.allreduce_sum(buffer_, "the gradients");
  const auto divisor = static_cast<float>(total);
  const float* from = buffer_.data();
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor& t = params[i].tensor;
    if (flags[i] > 0) {
      float* g = t.grad_data();
      for (int64_t j = 0; j < t.size(); ++j) g[j] = from[j] / divisor;
    } else {
      t.zero_grad();
    }
    from += t.size();
  }
}

void DataParallel::average(std::span<NamedTensor> weights) {
  if (weights.empty()) return;
  size_t n = 0;
  for (const auto& w : weights) n += static_cast<size_t>(w.tensor.size());
  buffer_.resize(n);
  float* at = buffer_.data();
  for (const auto& w : weights) at = std::copy(w.tensor.data(), w.tensor.data() + w.tensor.size(), at);
  strategy_.allreduce_sum(buffer_, "the moving statistics");
  const float scale = 1.0f / static_cast<float>(strategy_.size());
  const float* from = buffer_.data();
  for (auto& w : weights) {
    float* to = w.tensor.data();
    for (int64_t j = 0; j < w.tensor.size(); ++j) to[j] = from[j] * scale;
    from += w.tensor.size();
  }
}

bool DataParallel::any(bool flag, const char* what) {
  double value = flag ? 1.0 : 0.0;
  strategy_.allreduce_sum(std::span<double>(&value, 1), what);
  return value > 0;
}

}  // namespace elucid::distributed
