// Reading and writing whole files. Every write is atomic: the bytes go to a temporary file in the same folder,
// which is flushed, fsynced and renamed over the target, so a process killed at any moment leaves either the old
// file or the new one, never a broken one. A process killed while writing leaves its temporary file (PATH.tmp-PID):
// the next write into that folder removes it once that process is gone.
#pragma once
#include <string>
#include <string_view>

namespace elucid {

// Throws elucid::Error naming the path and the system's reason (missing folder, not writable, disk full, ...);
// on failure the target is untouched and the temporary file removed. Before writing, removes the folder's temporary
// files (NAME.tmp-PID) whose PID is not a live process of this machine.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The whole file. Throws elucid::Error naming the path when it is missing, a directory, unreadable, or larger than
// max_bytes (a guard against reading a device or a huge file by mistake).
std::string read_file(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Checks that a file could be written at `path` (its folder exists and is writable) without writing it, so that a
// long run fails before it starts rather than at the end.
void check_writable(const std::string& path);

}  // namespace elucid
