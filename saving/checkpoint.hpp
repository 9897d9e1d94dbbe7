// Checkpoints: everything a training run needs to go on exactly where it stopped — the model file (architecture,
// weights, optimizer state) and the fit() state (epoch, batch, running figures, history, callback states). A run
// stopped after any batch and resumed from its checkpoint ends with the same bits as one that was never stopped:
// the layers that draw random numbers in training key their draws by the optimizer's step count, which the
// checkpoint restores, and the samples' places in the batch (core/random.hpp), so no generator state is kept.
//
// The file is sealed like a model file ("ELUCIDCK", version, length, body, crc32) and its body opens with the whole
// model file, so load_model() reads a checkpoint too. Format version 2; version 1 (elucid 0.1) also held the state of
// each layer's random generator after the callback states: it is still read, and those states are skipped (a run
// resumed from it draws by position from then on, as a run of this version does).
#pragma once
#include <elucid/saving/model_file.hpp>
#include <elucid/model/sequential.hpp>

#include <string>
#include <cstdint>
#include <string_view>

namespace elucid {

inline constexpr uint32_t kCheckpointVersion = 2;

struct Checkpoint {
  std::string model_file;  // the model file's bytes (saving/model_file.hpp), optimizer state included
  FitState fit;            // where the run stands
  bool finished = false;   // the run had ended (all epochs, or a callback stopped it): nothing is left to train
  std::string run_key = {};  // the settings a resume must share with the run (the CLI's: data, batches, seed)
};

// The checkpoint of `model` now: its file_bytes(), the optimizer state included, and `state`.
Checkpoint make_checkpoint(const train::Trainer& model, FitState state, bool finished, std::string run_key,
                           const SaveOptions& save = {});
std::string checkpoint_bytes(const Checkpoint& checkpoint);
// Atomic: a process killed while writing leaves the previous file whole.
void save_checkpoint(const Checkpoint& checkpoint, const std::string& path);

// Every problem is an elucid::Error naming `source` (the path) and what is wrong, as for model files.
Checkpoint read_checkpoint(std::string_view bytes, const std::string& source);
Checkpoint load_checkpoint(const std::string& path);

// Puts the checkpoint's weights and optimizer state into `model`, which must have the same architecture and be
// compiled the same way. Throws naming `source` and the weight that does not fit.
void restore_checkpoint(train::Trainer& model, const Checkpoint& checkpoint, const std::string& source);

}  // namespace elucid
