#include "agent/sync/fs_util.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace roam::agent::sync {

std::string errnoText(std::string_view what, std::string_view path) {
  std::string text(what);
  text += ' ';
  text += path;
  text += ": ";
  text += std::strerror(errno);
  return text;
}

Error ioError(std::string_view what, std::string_view path) {
  return makeError(ErrorCode::Io, errnoText(what, path));
}

int openBeneath(int rootFd, const std::string& rel, int flags) {
  open_how how{};
  // RESOLVE_NO_SYMLINKS refuses a final symlink too (ELOOP), where O_NOFOLLOW
  // with O_DIRECTORY would say ENOTDIR.
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const char* p = rel.empty() ? "." : rel.c_str();
  long rc;
  do {
    rc = syscall(SYS_openat2, rootFd, p, &how, sizeof how);
  } while (rc < 0 && errno == EAGAIN);
  return static_cast<int>(rc);
}

std::string procPath(int dirFd, std::string_view name) {
  std::string p = "/proc/self/fd/" + std::to_string(dirFd);
  if (!name.empty()) {
    p += '/';
    p += name;
  }
  return p;
}

std::string shownPath(const std::string& root, const std::string& rel) {
  if (rel.empty()) return root;
  if (!root.empty() && root.back() == '/') return root + rel;
  return root + "/" + rel;
}

namespace {

ssize_t listNames(int fd, const std::string& path, char* buf, std::size_t size) {
  return fd >= 0 ? flistxattr(fd, buf, size) : llistxattr(path.c_str(), buf, size);
}

ssize_t getValue(int fd, const std::string& path, const char* name, void* buf, std::size_t size) {
  return fd >= 0 ? fgetxattr(fd, name, buf, size) : lgetxattr(path.c_str(), name, buf, size);
}

// The names of the inode's attributes.
roam::Result<std::vector<std::string>> names(int fd, const std::string& path, std::string_view shown) {
  std::vector<char> buf;
  for (int attempt = 0; attempt < 8; ++attempt) {
    ssize_t n = listNames(fd, path, nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP) return std::vector<std::string>{};
      return ioError("listxattr", shown);
    }
    if (n == 0) return std::vector<std::string>{};
    buf.resize(static_cast<std::size_t>(n));
    n = listNames(fd, path, buf.data(), buf.size());
    if (n < 0 && errno == ERANGE) continue;  // grew in between
    if (n < 0) return ioError("listxattr", shown);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n);) {
      std::size_t len = strnlen(buf.data() + i, static_cast<std::size_t>(n) - i);
      if (len > 0) out.emplace_back(buf.data() + i, len);
      i += len + 1;
    }
    return out;
  }
  return makeError(ErrorCode::Io, "listxattr " + std::string(shown) + ": keeps changing");
}

}  // namespace

roam::Result<std::vector<Xattr>> readXattrs(int fd, const std::string& path, std::string_view shown) {
  auto list = names(fd, path, shown);
  if (!list) return list.error();
  std::vector<Xattr> out;
  std::size_t total = 0;
  for (const auto& name : *list) {
    if (name.size() > kMaxXattrNameBytes) {
      return makeError(ErrorCode::BadInput,
                       "xattr " + name + " of " + std::string(shown) + ": name too long");
    }
    std::string value;
    bool done = false;
    for (int attempt = 0; attempt < 8 && !done; ++attempt) {
      ssize_t n = getValue(fd, path, name.c_str(), nullptr, 0);
      if (n < 0 && errno == ENODATA) break;  // removed in between
      if (n < 0) return ioError("getxattr " + name + " of", shown);
      value.resize(static_cast<std::size_t>(n));
      n = getValue(fd, path, name.c_str(), value.data(), value.size());
      if (n < 0 && errno == ERANGE) continue;
      if (n < 0 && errno == ENODATA) break;
      if (n < 0) return ioError("getxattr " + name + " of", shown);
      value.resize(static_cast<std::size_t>(n));
      done = true;
    }
    if (!done) continue;
    if (value.size() > kMaxXattrValueBytes) {
      return makeError(ErrorCode::BadInput,
                       "xattr " + name + " of " + std::string(shown) + ": value too large");
    }
    total += name.size() + value.size();
    if (total > kMaxXattrTotalBytes || out.size() >= kMaxXattrCount) {
      return makeError(ErrorCode::BadInput,
                       "xattrs of " + std::string(shown) + ": more than the stream carries");
    }
    out.push_back(Xattr{name, std::move(value)});
  }
  std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}

roam::Status writeXattrs(int fd, const std::string& path, const std::vector<Xattr>& want,
                   std::string_view shown) {
  auto have = names(fd, path, shown);
  if (!have) return have.error();
  for (const auto& name : *have) {
    bool wanted =
        std::any_of(want.begin(), want.end(), [&](const Xattr& x) { return x.name == name; });
    if (wanted) continue;
    int rc = fd >= 0 ? fremovexattr(fd, name.c_str()) : lremovexattr(path.c_str(), name.c_str());
    if (rc != 0 && errno != ENODATA) return ioError("removexattr " + name + " of", shown);
  }
  for (const auto& x : want) {
    int rc = fd >= 0 ? fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0)
                     : lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
    if (rc != 0) return ioError("setxattr " + x.name + " of", shown);
  }
  return {};
}

std::string pathProblem(std::string_view path, bool emptyAllowed) {
  if (path.empty()) return emptyAllowed ? std::string() : "empty path";
  if (path.size() > kMaxPathBytes) return "path longer than " + std::to_string(kMaxPathBytes);
  if (path.find('\0') != std::string_view::npos) return "NUL in path";
  if (path.front() == '/') return "absolute path";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "empty path component";
    if (part == ".") return "\".\" component";
    if (part == "..") return "\"..\" component";
    if (part.size() > kMaxNameBytes)
      return "component longer than " + std::to_string(kMaxNameBytes);
    start = end + 1;
  }
  return {};
}

std::string parentOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string leafOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace roam::agent::sync
