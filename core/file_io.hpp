// Reading and writing whole files. Every write is atomic: the bytes go to a temporary file in the same folder,
// which is flushed, fsynced and renamed over the target, so a process killed at any moment leaves either the old
// file or the new one, never a broken one. A process killed while writing leaves its temporary file (PATH.tmp-PID):
// the next write into that folder removes it once that process is gone.
#pragma once
#include <string>
#include <string_view>

namespace elucid {

// Missing folders above `path` are made first (make_parent_folders). Throws elucid::Error naming the path and the
// system's reason (not writable, disk full, ...); on failure the target is untouched and the temporary file removed.
// Before writing, removes the folder's temporary files (NAME.tmp-PID) whose PID is not a live process of this machine.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The whole file. Throws elucid::Error naming the path when it is missing, a directory, unreadable, or larger than
// max_bytes (a guard against reading a device or a huge file by mistake).
std::string read_file(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Checks that a file could be written at `path` without writing anything, so that a long run fails before it starts
// rather than at the end: its folder exists and is writable, or the folders missing above it can be made (the nearest
// one that exists is a writable folder, not a file).
void check_writable(const std::string& path);

// Makes the folders missing above `path` (as mkdir -p), as Keras' ModelCheckpoint does before it saves. Throws
// elucid::Error naming the path and the folder that could not be made. write_file_atomically calls it.
void make_parent_folders(const std::string& path);

}  // namespace elucid
