// ModelCheckpoint: the path template is parsed once, by hand (no printf with a user's format string), and each
// save writes the model file atomically.
#include <elucid/callbacks/model_checkpoint.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/keras_weights.hpp>
#include <elucid/train/trainer.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace elucid::callbacks {

namespace {
const char* const kWho = "ModelCheckpoint";

// A number as the field's format asks: integer types for {epoch} and {batch}, float formats for figures.
std::string format_field(double value, char type, int width, int precision, bool zero_pad) {
  char buffer[64];
  const int prec = precision >= 0 ? precision : 6;
  switch (type) {
    case 'd': std::snprintf(buffer, sizeof buffer, "%.0f", std::trunc(value)); break;
    case 'f': std::snprintf(buffer, sizeof buffer, "%.*f", prec, value); break;
    case 'e': std::snprintf(buffer, sizeof buffer, "%.*e", prec, value); break;
    case 'g': std::snprintf(buffer, sizeof buffer, "%.*g", precision >= 0 ? precision : 6, value); break;
    default: return format_number(value);
  }
  std::string s = buffer;
  if (width > 0 && static_cast<int>(s.size()) < width) {
    const size_t pad = static_cast<size_t>(width) - s.size();
    if (zero_pad && !s.empty() && s[0] == '-') s.insert(1, pad, '0');
    else s.insert(0, pad, zero_pad ? '0' : ' ');
  }
  return s;
}
}  // namespace

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), options_(std::move(options)),
      monitor_(kWho, options_.monitor, options_.mode, 0.0) {
  if (filepath_.empty()) throw Error("ModelCheckpoint: the file path is empty");
  if (options_.save_freq < 0)
    throw Error("ModelCheckpoint: save_freq must be 0 (each epoch) or a number of batches, got " +
                std::to_string(options_.save_freq));
  // Literal text, {{ and }} for braces, and {name} or {name:spec} with spec [0][width][.precision][d|f|e|g].
  const std::string bad = "ModelCheckpoint: file path \"" + filepath_ + "\": ";
  std::string text;
  for (size_t i = 0; i < filepath_.size(); ++i) {
    const char c = filepath_[i];
    if (c == '}' ) {
      if (i + 1 < filepath_.size() && filepath_[i + 1] == '}') { text += '}'; ++i; continue; }
      throw Error(bad + "a '}' without its '{' (write '}}' for a brace)");
    }
    if (c != '{') { text += c; continue; }
    if (i + 1 < filepath_.size() && filepath_[i + 1] == '{') { text += '{'; ++i; continue; }
    const size_t end = filepath_.find('}', i);
    if (end == std::string::npos) throw Error(bad + "a '{' without its '}'");
    const std::string inside = filepath_.substr(i + 1, end - i - 1);
    if (!text.empty()) pieces_.push_back({text}), text.clear();
    Piece p;
    p.field = true;
    const size_t colon = inside.find(':');
    p.text = inside.substr(0, colon);
    if (p.text.empty()) throw Error(bad + "a field without a name: {" + inside + "}");
    for (char ch : p.text)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
        throw Error(bad + "field {" + inside + "}: a name is letters, digits and '_'");
    if (colon != std::string::npos) {
      const std::string spec = inside.substr(colon + 1);
      size_t k = 0;
      if (k < spec.size() && spec[k] == '0') p.zero_pad = true, ++k;
      std::string digits;
      while (k < spec.size() && std::isdigit(static_cast<unsigned char>(spec[k]))) digits += spec[k++];
      if (!digits.empty()) p.width = std::min(64, std::stoi(digits.substr(0, 3)));
      if (k < spec.size() && spec[k] == '.') {
        std::string prec;
        ++k;
        while (k < spec.size() && std::isdigit(static_cast<unsigned char>(spec[k]))) prec += spec[k++];
        if (prec.empty()) throw Error(bad + "field {" + inside + "}: a '.' needs a precision");
        p.precision = std::min(30, std::stoi(prec.substr(0, 3)));
      }
      if (k < spec.size() && (spec[k] == 'd' || spec[k] == 'f' || spec[k] == 'e' || spec[k] == 'g')) p.type = spec[k++];
      if (k != spec.size())
        throw Error(bad + "field {" + inside + "}: the format \"" + spec +
                    "\" is not supported; use d, f, e or g with an optional width and precision ({epoch:02d}, {val_loss:.4f})");
      if (p.type == 'd' && p.precision >= 0) throw Error(bad + "field {" + inside + "}: an integer has no precision");
    }
    pieces_.push_back(p);
    i = end;
  }
  if (!text.empty()) pieces_.push_back({text});
}

std::string ModelCheckpoint::format_path(int epoch, int64_t batch, const Logs& logs) const {
  std::string out;
  for (const Piece& p : pieces_) {
    if (!p.field) {
      out += p.text;
      continue;
    }
    double value = 0;
    char type = p.type;
    if (p.text == "epoch") value = epoch + 1, type = type ? type : 'd';
    else if (p.text == "batch") value = static_cast<double>(batch), type = type ? type : 'd';
    else if (auto v = logs.get(p.text)) value = *v;
    else
      throw Error("ModelCheckpoint: file path \"" + filepath_ + "\": field {" + p.text +
                  "} is neither epoch, batch nor a figure of this run (" + logs.keys_string() + ")");
    out += format_field(value, type, p.width, p.precision, p.zero_pad);
  }
  return out;
}

void ModelCheckpoint::check_figures(RunFigures& figures) {
  const std::vector<std::string>& names = options_.save_freq > 0 ? figures.batch : figures.epoch;
  for (Piece& p : pieces_)
    if (p.field && p.text != "epoch" && p.text != "batch")
      p.text = find_figure(kWho, "file path \"" + filepath_ + "\": field", p.text, names);
  if (options_.save_best_only) monitor_.resolve(kWho, names);
}

void ModelCheckpoint::on_train_begin(Logs&) {
  best_ = options_.initial_value_threshold.value_or(monitor_.worst());
}

void ModelCheckpoint::on_epoch_begin(int epoch, Logs&) { epoch_ = epoch; }

void ModelCheckpoint::on_train_batch_end(int64_t batch, Logs& logs) {
  if (options_.save_freq > 0 && (batch + 1) % options_.save_freq == 0) save(epoch_, batch + 1, logs);
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (options_.save_freq == 0) save(epoch, 0, logs);
}

void ModelCheckpoint::save(int epoch, int64_t batch, const Logs& logs) {
  const std::string path = format_path(epoch, batch, logs);
  if (options_.save_best_only) {
    auto current = logs.get(monitor_.key());
    if (!current)
      throw Error("ModelCheckpoint: monitor \"" + monitor_.key() + "\" is not among the figures: " + logs.keys_string());
    if (!monitor_.improves(*current, best_)) {
      if (options_.verbose)
        std::cout << "\nEpoch " << epoch + 1 << ": " << options_.monitor << " did not improve from " << format_number(best_, 5) << "\n";
      return;
    }
    if (options_.verbose)
      std::cout << "\nEpoch " << epoch + 1 << ": " << options_.monitor << " improved from " << format_number(best_, 5) << " to "
                << format_number(*current, 5) << ", saving model to " << path << "\n";
    best_ = *current;
  } else if (options_.verbose) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  save(path);
  last_saved_ = path;
}

void ModelCheckpoint::save(const std::string& path) const {
  if (!path.ends_with(".keras") && !path.ends_with(".h5")) {
    model->save(path, {.include_optimizer = !options_.save_weights_only, .class_names = options_.class_names});
    return;
  }
  // Keras' files, as Keras' ModelCheckpoint writes them by the path's ending.
  if (path.ends_with(".keras")) {
    save_keras(*model, path, {.include_optimizer = !options_.save_weights_only});
  } else if (path.ends_with(".weights.h5") || options_.save_weights_only) {
    save_weights(*model, path);
  } else {
    save_keras_h5(*model, path);
  }
}

std::vector<std::pair<std::string, double>> ModelCheckpoint::state() const { return {{"best", best_}}; }

void ModelCheckpoint::load_state(const std::vector<std::pair<std::string, double>>& state) {
  for (const auto& [key, value] : state)
    if (key == "best") best_ = value;
}

}  // namespace elucid::callbacks
