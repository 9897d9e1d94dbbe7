// CSVLogger: the header comes from the first epoch's figures; later epochs write the same columns.
#include <elucid/callbacks/csv_logger.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/format.hpp>

#include <algorithm>
#include <cstring>

namespace elucid::callbacks {

CSVLogger::CSVLogger(std::string filename, CSVLoggerOptions options)
    : filename_(std::move(filename)), options_(options) {}

void CSVLogger::on_train_begin(Logs&) {
  // Appending to a file that already has rows: its header is there, keep it.
  header_written_ = false;
  if (options_.append) {
    std::ifstream existing(filename_);
    header_written_ = existing.good() && existing.peek() != std::ifstream::traits_type::eof();
  }
  try {
    make_parent_folders(filename_);  // as Keras' ModelCheckpoint does for its files
  } catch (const Error& e) {
    throw Error(std::string("CSVLogger: ") + e.what());
  }
  file_.open(filename_, options_.append ? std::ios::app : std::ios::trunc);
  if (!file_) throw Error("CSVLogger: cannot write " + filename_ + ": " + std::strerror(errno));
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (keys_.empty()) {
    for (const auto& [key, value] : logs.items()) keys_.push_back(key);
    std::sort(keys_.begin(), keys_.end());
    if (!header_written_) {
      file_ << "epoch";
      for (const auto& k : keys_) file_ << options_.separator << k;
      file_ << '\n';
      header_written_ = true;
    }
  }
  file_ << epoch;
  for (const auto& k : keys_) {
    auto v = logs.get(k);
    file_ << options_.separator << (v ? format_number(*v) : "NA");
  }
  file_ << '\n' << std::flush;
  if (!file_) throw Error("CSVLogger: writing " + filename_ + " failed: " + std::strerror(errno));
}

void CSVLogger::on_train_end(Logs&) { file_.close(); }

}  // namespace elucid::callbacks
