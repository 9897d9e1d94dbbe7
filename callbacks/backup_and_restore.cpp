// BackupAndRestore: checkpoint names carry the position (epochs done, batches of the next epoch done), so that the
// newest is found by name and a resumed run keeps the order.
#include <elucid/callbacks/backup_and_restore.hpp>

#include <elucid/core/error.hpp>
#include <elucid/train/interrupt.hpp>
#include <elucid/train/trainer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace elucid::callbacks {

namespace fs = std::filesystem;

namespace {
std::string file_name(int epoch, int64_t batch) {
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint-e%04d-b%06lld.elucid", epoch, static_cast<long long>(batch));
  return name;
}

// (epoch, batch) from a checkpoint's file name, or nothing for any other file.
std::optional<std::pair<long long, long long>> position(const std::string& name) {
  long long e = 0, b = 0;
  int used = 0;
  if (std::sscanf(name.c_str(), "checkpoint-e%lld-b%lld.elucid%n", &e, &b, &used) != 2) return std::nullopt;
  if (static_cast<size_t>(used) != name.size() || name != file_name(static_cast<int>(e), b)) return std::nullopt;
  return std::make_pair(e, b);
}

bool finite_loss(const Logs& logs) {
  auto loss = logs.get("loss");
  return !loss || std::isfinite(*loss);
}
}  // namespace

BackupAndRestore::BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options)
    : dir_(std::move(backup_dir)), options_(std::move(options)) {
  if (dir_.empty()) throw Error("BackupAndRestore: the backup folder is empty");
  if (options_.save_freq < 0) throw Error("BackupAndRestore: save_freq must be 0 or more, got " + std::to_string(options_.save_freq));
  if (options_.keep < 1) throw Error("BackupAndRestore: keep must be at least 1, got " + std::to_string(options_.keep));
}

std::vector<std::string> BackupAndRestore::list(const std::string& dir) {
  std::vector<std::pair<std::pair<long long, long long>, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (auto p = position(name); p && entry.is_regular_file(ec)) found.emplace_back(*p, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (auto& f : found) paths.push_back(std::move(f.second));
  return paths;
}

void BackupAndRestore::save(FitState state, bool finished) {
  std::error_code ec;
  fs::create_directories(dir_, ec);  // an error shows when the file is written
  const std::string path = (fs::path(dir_) / file_name(state.epoch, state.batch)).string();
  save_checkpoint(make_checkpoint(*model, std::move(state), finished, options_.run_key,
                                  {.class_names = options_.class_names}),
                  path);
  last_path_ = path;
  const auto all = list(dir_);
  for (size_t i = 0; i + static_cast<size_t>(options_.keep) < all.size(); ++i)
    if (all[i] != path) fs::remove(all[i], ec);
}

void BackupAndRestore::on_train_batch_end(int64_t batch, Logs& logs) {
  const bool interrupted = interrupt_requested();
  const bool due = options_.save_freq > 0 && (batch + 1) % options_.save_freq == 0;
  if ((interrupted || due) && finite_loss(logs)) save(model->fit_state(), false);
  if (interrupted) throw Interrupted(last_path_.empty() ? "(none: no batch finished yet)" : last_path_);
}

void BackupAndRestore::on_epoch_end(int epoch, Logs& logs) {
  if (finite_loss(logs)) {
    // The state as the next epoch will start it: this epoch in the history, nothing of the next taken yet.
    FitState state = model->fit_state();
    state.history.append(epoch, logs);
    state.epoch = epoch + 1;
    state.batch = 0;
    state.loss_sum = state.sample_count = 0;
    for (auto& sums : state.metric_sums) sums = {0.0, 0.0};
    // The run ends after this epoch when it is the last or a callback stopped it (EarlyStopping): this checkpoint
    // says so itself, so that the end of the run writes nothing more.
    const bool finished = epoch + 1 >= params.epochs || model->stop_training;
    save(std::move(state), finished);
  }
  if (interrupt_requested()) throw Interrupted(last_path_.empty() ? "(none)" : last_path_);
}

}  // namespace elucid::callbacks
