#pragma once
// Reading an input file (a policy, a state, a configuration, a topology): the
// one place that refuses what is not a regular file and what is too big, so
// every command treats `roam check DIR`, a FIFO or /dev/zero the same way.

#include <cstddef>
#include <optional>
#include <string>

namespace roam::lang {

// The largest input file read: far above any real policy or state (the
// examples are a few KB), small enough that a wrong file fails at once.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{16} << 20;  // 16 MiB

struct InputFileText {
  std::optional<std::string> text;  // the whole file, when it could be read
  std::string error;                // otherwise why not, e.g. "is a directory, not a file"
};

// Reads the regular file at `path` whole. Refuses, without blocking or reading
// on: a directory, a FIFO, a socket, a device ("is a character device, not a
// regular file"), a file larger than `maxBytes` ("is 20000000 bytes; an input
// file may have at most 16 MiB"), and reports open and read failures with
// strerror's text ("No such file or directory").
InputFileText readInputFile(const std::string& path, std::size_t maxBytes = kMaxInputFileBytes);

// Whether `a` and `b` name the same existing file (same st_dev and st_ino, so
// through links and different spellings); false when either does not exist.
bool sameFile(const std::string& a, const std::string& b);

}  // namespace roam::lang
