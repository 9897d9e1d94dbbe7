// Checkpoint files: the model file, then the fit state, the finished flag and the run key (version 1: the random
// generators' states before the flag, skipped when read).
#include <elucid/saving/checkpoint.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/binary_io.hpp>

namespace elucid {

namespace {
constexpr std::string_view kMagic = "ELUCIDCK";
const char* const kKind = "checkpoint";

void write_pairs(binary::Writer& w, const std::vector<std::pair<std::string, double>>& pairs) {
  w.u64(pairs.size());
  for (const auto& [key, value] : pairs) {
    w.str(key);
    w.f64(value);
  }
}

std::vector<std::pair<std::string, double>> read_pairs(binary::Reader& r) {
  std::vector<std::pair<std::string, double>> pairs;
  const uint64_t n = r.count(16, "callback state");
  for (uint64_t i = 0; i < n; ++i) {
    std::string key = r.str("a state key");
    pairs.emplace_back(std::move(key), r.f64());
  }
  return pairs;
}
}  // namespace

Checkpoint make_checkpoint(const train::Trainer& model, FitState state, bool finished, std::string run_key,
                           const SaveOptions& save) {
  return {model.file_bytes({.include_optimizer = true, .class_names = save.class_names}), std::move(state), finished,
          std::move(run_key)};
}

std::string checkpoint_bytes(const Checkpoint& c) {
  binary::Writer w;
  w.str(c.model_file);
  const FitState& s = c.fit;
  w.i64(s.epoch);
  w.i64(s.batch);
  w.f64(s.loss_sum);
  w.f64(s.sample_count);
  w.u64(s.metric_sums.size());
  for (const auto& [total, count] : s.metric_sums) {
    w.f64(total);
    w.f64(count);
  }
  w.u64(s.history.epoch.size());
  for (int e : s.history.epoch) w.i64(e);
  w.u64(s.history.history.size());
  for (const auto& [key, values] : s.history.history) {
    w.str(key);
    w.u64(values.size());
    for (double v : values) w.f64(v);
  }
  w.u64(s.callback_states.size());
  for (const auto& [name, state] : s.callback_states) {
    w.str(name);
    write_pairs(w, state);
  }
  w.u8(c.finished ? 1 : 0);
  w.str(c.run_key);
  return binary::seal(kMagic, kCheckpointVersion, w.bytes());
}

void save_checkpoint(const Checkpoint& checkpoint, const std::string& path) {
  write_file_atomically(path, checkpoint_bytes(checkpoint));
}

Checkpoint read_checkpoint(std::string_view bytes, const std::string& source) {
  uint32_t version = 0;
  binary::Reader r(binary::open(bytes, kMagic, kCheckpointVersion, source, kKind, &version), source, kKind);
  Checkpoint c;
  c.model_file = r.str("the model file");
  FitState& s = c.fit;
  const int64_t epoch = r.i64();
  if (epoch < 0 || epoch > (int64_t{1} << 30)) r.fail("epoch " + std::to_string(epoch) + " is not a valid epoch");
  s.epoch = static_cast<int>(epoch);
  s.batch = r.i64();
  if (s.batch < 0) r.fail("batch " + std::to_string(s.batch) + " is not a valid position");
  s.loss_sum = r.f64();
  s.sample_count = r.f64();
  const uint64_t metrics = r.count(16, "metric sums");
  for (uint64_t i = 0; i < metrics; ++i) {
    const double total = r.f64();
    s.metric_sums.emplace_back(total, r.f64());
  }
  const uint64_t epochs = r.count(8, "history epochs");
  for (uint64_t i = 0; i < epochs; ++i) s.history.epoch.push_back(static_cast<int>(r.i64()));
  const uint64_t series = r.count(16, "history figures");
  for (uint64_t i = 0; i < series; ++i) {
    std::string key = r.str("a history key");
    const uint64_t n = r.count(8, "history values");
    if (n != epochs) r.fail("history \"" + key + "\" has " + std::to_string(n) + " values for " + std::to_string(epochs) + " epochs");
    std::vector<double> values;
    for (uint64_t j = 0; j < n; ++j) values.push_back(r.f64());
    s.history.history.emplace_back(std::move(key), std::move(values));
  }
  const uint64_t callbacks = r.count(16, "callback states");
  for (uint64_t i = 0; i < callbacks; ++i) {
    std::string name = r.str("a callback name");
    s.callback_states.emplace_back(std::move(name), read_pairs(r));
  }
  if (version == 1) {  // a layer name and a xoshiro256** state per generator: no longer used (the header says why)
    const uint64_t generators = r.count(40, "generator states");
    for (uint64_t i = 0; i < generators; ++i) {
      (void)r.str("a layer name");
      for (int word = 0; word < 4; ++word) (void)r.u64();
    }
  }
  const uint8_t finished = r.u8();
  if (finished > 1) r.fail("the finished flag is " + std::to_string(finished) + ", not 0 or 1");
  c.finished = finished == 1;
  c.run_key = r.str("the run key");
  if (!r.done()) r.fail(std::to_string(r.remaining()) + " bytes left over after the last record");
  return c;
}

Checkpoint load_checkpoint(const std::string& path) { return read_checkpoint(read_file(path), path); }

void restore_checkpoint(train::Trainer& model, const Checkpoint& checkpoint, const std::string& source) {
  ModelFile saved = read_model_file(checkpoint.model_file, source);
  try {
    model.set_weights(saved.trainer().weights());
    if (saved.has_optimizer_state) model.optimizer().load_state(saved.trainer().optimizer().state());
  } catch (const Error& e) {
    throw Error(source + ": the checkpoint does not fit the model: " + e.what());
  }
}

}  // namespace elucid
