#include "lang/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace roam::lang {

namespace {

// Why a file of this type is refused; empty for a regular file.
std::string notRegular(mode_t mode) {
  if (S_ISREG(mode)) return {};
  if (S_ISDIR(mode)) return "is a directory, not a file";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO), not a regular file";
  if (S_ISCHR(mode)) return "is a character device, not a regular file";
  if (S_ISBLK(mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

std::string limitText(std::size_t maxBytes) {
  if (maxBytes % (std::size_t{1} << 20) == 0) return std::to_string(maxBytes >> 20) + " MiB";
  return std::to_string(maxBytes) + " bytes";
}

InputFileText refused(std::string why) {
  return {std::nullopt, std::move(why)};
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

InputFileText readInputFile(const std::string& path, std::size_t maxBytes) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait for one.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    const int err = errno;
    struct stat st {};
    // A socket cannot be opened (ENXIO); say what it is rather than strerror's text.
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      return refused(notRegular(st.st_mode));
    return refused(std::strerror(err));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return refused(std::strerror(errno));
  if (auto why = notRegular(st.st_mode); !why.empty()) return refused(why);
  const std::string limit = "; an input file may have at most " + limitText(maxBytes);
  if (static_cast<std::size_t>(st.st_size) > maxBytes)
    return refused("is " + std::to_string(st.st_size) + " bytes" + limit);
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refused(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    // The file may grow while it is read.
    if (text.size() > maxBytes) return refused("grew past " + limitText(maxBytes) + limit);
  }
  return {std::move(text), {}};
}

bool sameFile(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace roam::lang
