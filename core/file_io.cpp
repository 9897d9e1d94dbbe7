// Whole-file reads and atomic writes (write to PATH.tmp-PID, fsync, rename, fsync the folder; first remove the
// temporary files that killed processes left in that folder).
#include <elucid/core/file_io.hpp>

#include <elucid/core/error.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace elucid {

namespace {
std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string reason() { return std::strerror(errno); }

constexpr std::string_view kTemporary = ".tmp-";  // PATH + ".tmp-" + the writer's PID

// The PID in a temporary file's name NAME.tmp-PID (decimal, no sign or leading zero, NAME not empty), or 0 when the
// name is not one elucid gives its temporary files.
pid_t temporary_owner(std::string_view name) {
  const size_t at = name.rfind(kTemporary);
  if (at == std::string_view::npos || at == 0) return 0;
  const std::string_view digits = name.substr(at + kTemporary.size());
  if (digits.empty() || digits.size() > 9 || digits[0] == '0') return 0;
  pid_t pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

// Removes from `folder` the temporary files of writers that are no longer alive (killed while writing: kill -9, out
// of memory): regular files named NAME.tmp-PID whose process does not exist (kill(PID, 0) fails with ESRCH). A live
// process's file is never touched, nor a process's of another user (EPERM: it exists). Best effort: a file that
// cannot be removed stays, and the write goes on.
void remove_dead_writers_files(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return;
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = temporary_owner(entry->d_name);
    if (pid <= 0 || pid == self) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    const std::string path = folder + "/" + entry->d_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(path.c_str());
  }
  ::closedir(dir);
}
}  // namespace

void make_parent_folders(const std::string& path) {
  const std::string folder = folder_of(path);
  std::error_code ec;
  if (std::filesystem::is_directory(folder, ec)) return;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw Error(path + ": cannot make the folder " + folder + ": " + ec.message());
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw Error("cannot write a file with an empty path");
  make_parent_folders(path);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a file");
  remove_dead_writers_files(folder_of(path));
  const std::string tmp = path + std::string(kTemporary) + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot write: " + reason());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = reason();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(path + ": writing failed after " + std::to_string(done) + " of " + std::to_string(bytes.size()) +
                  " bytes: " + why + " (the previous file, if any, is unchanged)");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = reason();
    ::unlink(tmp.c_str());
    throw Error(path + ": writing failed: " + why + " (the previous file, if any, is unchanged)");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = reason();
    ::unlink(tmp.c_str());
    throw Error(path + ": cannot replace the file: " + why);
  }
  // The rename itself is made durable by syncing the folder that holds it.
  const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::string read_file(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + reason());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": is not a regular file" + (S_ISDIR(st.st_mode) ? " (it is a directory)" : ""));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw Error(path + ": is " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) +
                " expected at most");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != bytes.size())
    throw Error(path + ": read " + std::to_string(done) + " of " + std::to_string(bytes.size()) + " bytes");
  return bytes;
}

void check_writable(const std::string& path) {
  // The nearest folder above `path` that exists: the missing ones below it would be made in it.
  std::string folder = folder_of(path);
  struct stat st {};
  while (::stat(folder.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) throw Error(path + ": folder " + folder + " cannot be read: " + reason());
    const std::string above = folder_of(folder);
    if (above == folder) throw Error(path + ": folder " + folder + " does not exist");  // "." when the cwd is gone
    folder = above;
  }
  if (!S_ISDIR(st.st_mode)) throw Error(path + ": " + folder + " is not a folder");
  if (::access(folder.c_str(), W_OK) != 0) throw Error(path + ": folder " + folder + " is not writable: " + reason());
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a file");
}

}  // namespace elucid
