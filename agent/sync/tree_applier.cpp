#include "agent/sync/tree_applier.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "agent/sync/fs_util.hpp"
#include "agent/sync/stream_format.hpp"

namespace roam::agent::sync {

namespace {

constexpr int kMaxRemoveDepth = 800;  // fds held while removing a tree

const char* typeName(std::uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::Remove:
      return "remove";
    case RecordType::Dir:
      return "directory";
    case RecordType::File:
      return "file";
    case RecordType::Data:
      return "data";
    case RecordType::Hole:
      return "hole";
    case RecordType::FileEnd:
      return "file end";
    case RecordType::Symlink:
      return "symlink";
    case RecordType::Node:
      return "device/FIFO";
    case RecordType::Link:
      return "hard link";
    case RecordType::End:
      return "end of round";
  }
  return "unknown";
}

Error protocolError(std::string message) {
  return makeError(ErrorCode::Protocol, "tree-sync stream: " + std::move(message));
}

// "PATH" for a message, control bytes as '?', at most 200 bytes of it.
std::string pathText(const std::string& path) {
  std::string out = "\"";
  for (char c : path.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (path.size() > 200) out += "...";
  return out + "\"";
}

timespec mtimeOf(const Meta& m) {
  timespec t{};
  t.tv_sec = static_cast<time_t>(m.mtimeSec);
  t.tv_nsec = static_cast<long>(m.mtimeNsec);
  return t;
}

// Removes everything inside the open directory DIR_FD.
roam::Status removeContents(int dirFd, const std::string& shown, int depth) {
  if (depth > kMaxRemoveDepth) {
    return makeError(ErrorCode::Io, "remove " + shown + ": directory tree too deep");
  }
  int dupFd = dup(dirFd);
  if (dupFd < 0) return ioError("dup", shown);
  std::unique_ptr<DIR, int (*)(DIR*)> d(fdopendir(dupFd), closedir);
  if (!d) {
    ::close(dupFd);
    return ioError("read directory", shown);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent* e = readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) return ioError("read directory", shown);
      break;
    }
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  d.reset();
  for (const auto& name : names) {
    std::string child = shown + "/" + name;
    struct stat st {};
    if (fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ioError("lstat", child);
    }
    if (S_ISDIR(st.st_mode)) {
      Fd sub(openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) return ioError("open directory", child);
      if (auto s = removeContents(sub.get(), child, depth + 1); !s) return s;
      if (unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) != 0) return ioError("remove", child);
    } else if (unlinkat(dirFd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ioError("remove", child);
    }
  }
  return {};
}

// Removes NAME in PARENT_FD, a directory with all it holds; nothing there is fine.
roam::Status removeAt(int parentFd, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return ioError("lstat", shown);
  }
  if (S_ISDIR(st.st_mode)) {
    Fd dir(openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return ioError("open directory", shown);
    if (auto s = removeContents(dir.get(), shown, 0); !s) return s;
    if (unlinkat(parentFd, name.c_str(), AT_REMOVEDIR) != 0) return ioError("remove", shown);
    return {};
  }
  if (unlinkat(parentFd, name.c_str(), 0) != 0 && errno != ENOENT) return ioError("remove", shown);
  return {};
}

}  // namespace

struct TreeApplier::Impl {
  std::vector<std::filesystem::path> roots;
  std::vector<Fd> rootFds;
  std::optional<Error> error;  // the first error, for good
  enum class State { Header, Records, Ended } state = State::Header;
  std::vector<std::uint8_t> buf;  // the round header or the record being received
  std::size_t bodyLen = 0;
  ApplyStats stats;

  struct PendingFile {
    Fd fd;
    std::string shown;
    Meta meta;
    std::uint64_t size = 0;
  };
  std::optional<PendingFile> file;
  // Directories' mtimes, set when the round ends (one per directory, however
  // often a stream names it).
  std::map<std::pair<std::uint32_t, std::string>, timespec> dirTimes;

  std::string shown(std::uint32_t r, const std::string& rel) const {
    return shownPath(roots[r].string(), rel);
  }

  roam::Status fail(Error e) {
    error = e;
    file.reset();
    return e;
  }

  roam::Status openRoots() {
    if (!rootFds.empty()) return {};
    if (roots.empty() || roots.size() > kMaxRoots) {
      return makeError(ErrorCode::BadInput, "tree sync: 1 to 1024 roots");
    }
    for (const auto& root : roots) {
      Fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd.valid()) return ioError("open root", root.string());
      rootFds.push_back(std::move(fd));
    }
    return {};
  }

  // The root index and path at the start of a record, checked.
  roam::Result<std::pair<std::uint32_t, std::string>> target(Reader& in, bool emptyAllowed,
                                                             const char* what) {
    std::uint32_t r = in.u32();
    auto path = in.str16(kMaxPathBytes);
    if (!in.ok() || !path) return protocolError(std::string(what) + " record cut short");
    if (r >= roots.size()) {
      return protocolError(std::string(what) + " record for root " + std::to_string(r) +
                           " past the " + std::to_string(roots.size()) + " roots");
    }
    if (auto problem = pathProblem(*path, emptyAllowed); !problem.empty()) {
      return makeError(ErrorCode::Refused, "tree-sync stream: " + std::string(what) + " " +
                                               pathText(*path) + " in " + roots[r].string() +
                                               " refused: " + problem);
    }
    return std::pair{r, std::move(*path)};
  }

  // The directory holding PATH, opened beneath the root without following a symlink.
  roam::Result<Fd> openParent(std::uint32_t r, const std::string& path) {
    Fd fd(openBeneath(rootFds[r].get(), parentOf(path), O_RDONLY | O_DIRECTORY));
    if (fd.valid()) return fd;
    if (errno == ELOOP || errno == EXDEV) {
      return makeError(ErrorCode::Refused,
                       "tree-sync stream: " + shown(r, path) +
                           " refused: a parent is a symlink or leaves the root");
    }
    return ioError("open the directory of", shown(r, path));
  }

  static std::optional<struct stat> existing(int parentFd, const std::string& name) {
    struct stat st {};
    if (fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return st;
  }

  roam::Status metaByFd(int fd, const Meta& m, const std::string& where) {
    if (fchown(fd, m.uid, m.gid) != 0) return ioError("chown", where);
    // After chown, which drops security.capability and the setuid/setgid bits.
    if (auto s = writeXattrs(fd, {}, m.xattrs, where); !s) return s;
    if (fchmod(fd, m.mode & 07777) != 0) return ioError("chmod", where);
    return {};
  }

  // Owner, xattrs, mode and mtime of NAME in PARENT_FD, not following a symlink.
  roam::Status metaByName(int parentFd, const std::string& name, const Meta& m,
                          const std::string& where, bool chmodIt) {
    if (fchownat(parentFd, name.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ioError("chown", where);
    }
    if (auto s = writeXattrs(-1, procPath(parentFd, name), m.xattrs, where); !s) return s;
    if (chmodIt && fchmodat(parentFd, name.c_str(), m.mode & 07777, 0) != 0) {
      return ioError("chmod", where);
    }
    timespec times[2] = {{0, UTIME_OMIT}, mtimeOf(m)};
    if (utimensat(parentFd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ioError("set times of", where);
    }
    return {};
  }

  roam::Status applyRemove(Reader& in) {
    auto t = target(in, false, "remove");
    if (!t) return t.error();
    if (!in.atEnd()) return protocolError("remove record with trailing bytes");
    auto [r, path] = std::move(*t);
    ++stats.removals;
    Fd parent(openBeneath(rootFds[r].get(), parentOf(path), O_RDONLY | O_DIRECTORY));
    if (!parent.valid()) {
      if (errno == ENOENT || errno == ENOTDIR) return {};  // already gone with its directory
      auto p = openParent(r, path);
      return p ? roam::Status{} : roam::Status{p.error()};
    }
    return removeAt(parent.get(), leafOf(path), shown(r, path));
  }

  roam::Status applyEntry(std::uint8_t type, Reader& in) {
    const auto kind = static_cast<RecordType>(type);
    auto t = target(in, kind == RecordType::Dir, typeName(type));
    if (!t) return t.error();
    auto [r, path] = std::move(*t);
    const std::string where = shown(r, path);
    auto meta = in.meta();
    if (!meta)
      return protocolError(std::string(typeName(type)) + " record for " + where + ": bad metadata");
    const mode_t fmt = meta->mode & S_IFMT;
    bool typeOk = false;
    switch (kind) {
      case RecordType::Dir:
        typeOk = fmt == S_IFDIR;
        break;
      case RecordType::File:
        typeOk = fmt == S_IFREG;
        break;
      case RecordType::Symlink:
        typeOk = fmt == S_IFLNK;
        break;
      default:
        typeOk = fmt == S_IFCHR || fmt == S_IFBLK || fmt == S_IFIFO;
        break;
    }
    if (!typeOk || (meta->mode & ~(S_IFMT | 07777)) != 0) {
      return protocolError(std::string(typeName(type)) + " record for " + where + ": bad mode " +
                           std::to_string(meta->mode));
    }
    ++stats.entries;

    if (path.empty()) {  // the root directory itself
      if (!in.atEnd()) return protocolError("directory record with trailing bytes");
      if (auto s = metaByFd(rootFds[r].get(), *meta, where); !s) return s;
      dirTimes[{r, path}] = mtimeOf(*meta);
      return {};
    }
    auto parent = openParent(r, path);
    if (!parent) return parent.error();
    const int pfd = parent->get();
    const std::string name = leafOf(path);
    auto ex = existing(pfd, name);

    switch (kind) {
      case RecordType::Dir: {
        if (!in.atEnd()) return protocolError("directory record with trailing bytes");
        if (ex && !S_ISDIR(ex->st_mode)) {
          if (auto s = removeAt(pfd, name, where); !s) return s;
          ex.reset();
        }
        if (!ex && mkdirat(pfd, name.c_str(), 0700) != 0) return ioError("mkdir", where);
        Fd dir(openat(pfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!dir.valid()) return ioError("open directory", where);
        if (auto s = metaByFd(dir.get(), *meta, where); !s) return s;
        dirTimes[{r, path}] = mtimeOf(*meta);
        return {};
      }
      case RecordType::File: {
        std::uint64_t size = in.u64();
        std::uint8_t how = in.u8();
        if (!in.atEnd() || (how != kFileNew && how != kFileDelta) ||
            size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
          return protocolError("file record for " + where + ": bad size or mode");
        }
        Fd fd;
        if (how == kFileDelta) {
          if (!ex || !S_ISREG(ex->st_mode)) {
            return protocolError("changed blocks for " + where + ", which is no regular file here");
          }
          fd = Fd(openat(pfd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
        } else {
          if (ex) {
            if (auto s = removeAt(pfd, name, where); !s) return s;
          }
          fd = Fd(openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0600));
        }
        if (!fd.valid()) return ioError("open", where);
        if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return ioError("truncate", where);
        file = PendingFile{std::move(fd), where, std::move(*meta), size};
        return {};
      }
      case RecordType::Symlink: {
        auto linkTarget = in.str16(kMaxPathBytes);
        if (!linkTarget || !in.atEnd() || linkTarget->empty() ||
            linkTarget->find('\0') != std::string::npos) {
          return protocolError("symlink record for " + where + ": bad target");
        }
        bool keep = false;
        if (ex && S_ISLNK(ex->st_mode)) {
          std::string have(kMaxPathBytes + 1, '\0');
          ssize_t n = readlinkat(pfd, name.c_str(), have.data(), have.size());
          keep = n >= 0 && have.compare(0, static_cast<std::size_t>(n), *linkTarget) == 0 &&
                 static_cast<std::size_t>(n) == linkTarget->size();
        }
        if (!keep) {
          if (ex) {
            if (auto s = removeAt(pfd, name, where); !s) return s;
          }
          if (symlinkat(linkTarget->c_str(), pfd, name.c_str()) != 0) {
            return ioError("symlink", where);
          }
        }
        return metaByName(pfd, name, *meta, where, false);
      }
      default: {  // Node
        std::uint64_t rdev = in.u64();
        if (!in.atEnd()) return protocolError("device record for " + where + ": bad length");
        if (fmt == S_IFIFO) rdev = 0;
        bool keep = ex && (ex->st_mode & S_IFMT) == fmt &&
                    (fmt == S_IFIFO || static_cast<std::uint64_t>(ex->st_rdev) == rdev);
        if (!keep) {
          if (ex) {
            if (auto s = removeAt(pfd, name, where); !s) return s;
          }
          if (mknodat(pfd, name.c_str(), fmt | 0600, static_cast<dev_t>(rdev)) != 0) {
            return ioError("mknod", where);
          }
        }
        return metaByName(pfd, name, *meta, where, true);
      }
    }
  }

  roam::Status applyLink(Reader& in) {
    auto t = target(in, false, "hard link");
    if (!t) return t.error();
    auto [r, path] = std::move(*t);
    auto linkTarget = in.str16(kMaxPathBytes);
    if (!linkTarget || !in.atEnd()) return protocolError("hard link record cut short");
    const std::string where = shown(r, path);
    if (auto problem = pathProblem(*linkTarget, false); !problem.empty()) {
      return makeError(ErrorCode::Refused, "tree-sync stream: hard link " + where + " to " +
                                               pathText(*linkTarget) + " refused: " + problem);
    }
    ++stats.entries;
    auto parent = openParent(r, path);
    if (!parent) return parent.error();
    auto targetParent = openParent(r, *linkTarget);
    if (!targetParent) return targetParent.error();
    const std::string name = leafOf(path), targetName = leafOf(*linkTarget);
    auto have = existing(targetParent->get(), targetName);
    if (!have || S_ISDIR(have->st_mode)) {
      return protocolError("hard link " + where + " to " + shown(r, *linkTarget) +
                           ", which is missing or a directory");
    }
    auto ex = existing(parent->get(), name);
    if (ex && ex->st_dev == have->st_dev && ex->st_ino == have->st_ino) return {};
    if (ex) {
      if (auto s = removeAt(parent->get(), name, where); !s) return s;
    }
    if (linkat(targetParent->get(), targetName.c_str(), parent->get(), name.c_str(), 0) != 0) {
      return ioError("link " + shown(r, *linkTarget) + " as", where);
    }
    return {};
  }

  roam::Status applyData(std::uint8_t type, Reader& in) {
    auto& f = *file;
    std::uint64_t off = in.u64();
    std::uint64_t len =
        type == static_cast<std::uint8_t>(RecordType::Data) ? in.remaining() : in.u64();
    if (!in.ok()) return protocolError("block record for " + f.shown + " cut short");
    if (off > f.size || len > f.size - off) {
      return protocolError("block at " + std::to_string(off) + "+" + std::to_string(len) +
                           " past the size " + std::to_string(f.size) + " of " + f.shown);
    }
    if (type == static_cast<std::uint8_t>(RecordType::Data)) {
      auto data = in.bytes(static_cast<std::size_t>(len));
      std::size_t done = 0;
      while (done < data.size()) {
        ssize_t n = pwrite(f.fd.get(), data.data() + done, data.size() - done,
                           static_cast<off_t>(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return ioError("write", f.shown);
        done += static_cast<std::size_t>(n);
      }
      stats.contentBytes += len;
      return {};
    }
    if (!in.atEnd()) return protocolError("hole record for " + f.shown + " with trailing bytes");
    if (len == 0) return {};
    if (fallocate(f.fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                  static_cast<off_t>(len)) == 0) {
      return {};
    }
    if (errno != EOPNOTSUPP) return ioError("punch a hole in", f.shown);
    static const std::vector<std::uint8_t> zeros(64 * 1024, 0);
    for (std::uint64_t done = 0; done < len;) {
      auto k = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), len - done));
      ssize_t n = pwrite(f.fd.get(), zeros.data(), k, static_cast<off_t>(off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ioError("write", f.shown);
      done += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  roam::Status finishFile() {
    auto& f = *file;
    if (auto s = metaByFd(f.fd.get(), f.meta, f.shown); !s) return s;
    timespec times[2] = {{0, UTIME_OMIT}, mtimeOf(f.meta)};
    if (futimens(f.fd.get(), times) != 0) return ioError("set times of", f.shown);
    if (f.fd.close() != 0) return ioError("close", f.shown);
    file.reset();
    return {};
  }

  roam::Status applyEnd(Reader& in) {
    std::uint64_t entries = in.u64(), removals = in.u64(), content = in.u64();
    if (!in.atEnd()) return protocolError("end-of-round record of the wrong length");
    if (entries != stats.entries || removals != stats.removals || content != stats.contentBytes) {
      return makeError(ErrorCode::Checksum,
                       "tree-sync stream: the round's counts differ from what arrived (" +
                           std::to_string(entries) + "/" + std::to_string(removals) + "/" +
                           std::to_string(content) + " sent, " + std::to_string(stats.entries) +
                           "/" + std::to_string(stats.removals) + "/" +
                           std::to_string(stats.contentBytes) + " applied)");
    }
    state = State::Ended;
    return {};
  }

  roam::Status dispatch(std::uint8_t type, std::span<const std::uint8_t> body) {
    Reader in(body);
    const auto kind = static_cast<RecordType>(type);
    const bool fileRecord =
        kind == RecordType::Data || kind == RecordType::Hole || kind == RecordType::FileEnd;
    if (file && !fileRecord) {
      return protocolError(std::string(typeName(type)) + " record inside the file " + file->shown);
    }
    if (!file && fileRecord) {
      return protocolError(std::string(typeName(type)) + " record outside a file");
    }
    switch (kind) {
      case RecordType::Remove:
        return applyRemove(in);
      case RecordType::Link:
        return applyLink(in);
      case RecordType::Data:
      case RecordType::Hole:
        return applyData(type, in);
      case RecordType::FileEnd:
        return finishFile();
      case RecordType::End:
        return applyEnd(in);
      default:
        return applyEntry(type, in);
    }
  }

  roam::Status consume(std::span<const std::uint8_t> bytes) {
    if (error) return *error;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      if (state == State::Ended) return fail(protocolError("bytes after the end-of-round record"));
      if (state == State::Header) {
        std::size_t k = std::min(kRoundHeaderBytes - buf.size(), bytes.size() - pos);
        buf.insert(buf.end(), bytes.begin() + pos, bytes.begin() + pos + k);
        pos += k;
        if (buf.size() < kRoundHeaderBytes) continue;
        if (std::memcmp(buf.data(), kMagic, sizeof kMagic) != 0) {
          return fail(protocolError("no round header (bad magic)"));
        }
        Reader v(std::span<const std::uint8_t>(buf).subspan(4));
        if (auto version = v.u32(); version != kVersion) {
          return fail(protocolError("version " + std::to_string(version) + ", this agent reads " +
                                    std::to_string(kVersion)));
        }
        if (auto s = openRoots(); !s) return fail(s.error());
        buf.clear();
        stats = {};
        dirTimes.clear();
        state = State::Records;
        continue;
      }
      // A record wholly inside BYTES is applied where it lies: copying every
      // data block into `buf` first cost the destination a copy per byte.
      if (buf.empty() && bytes.size() - pos >= kRecordHeaderBytes && knownType(bytes[pos])) {
        const auto body = static_cast<std::size_t>(Reader(bytes.subspan(pos + 1)).u32());
        if (body <= maxBody(bytes[pos]) && bytes.size() - pos - kRecordHeaderBytes >= body) {
          auto s = dispatch(bytes[pos], bytes.subspan(pos + kRecordHeaderBytes, body));
          pos += kRecordHeaderBytes + body;
          if (!s) return fail(s.error());
          continue;
        }
      }
      if (buf.size() < kRecordHeaderBytes) {
        std::size_t k = std::min(kRecordHeaderBytes - buf.size(), bytes.size() - pos);
        buf.insert(buf.end(), bytes.begin() + pos, bytes.begin() + pos + k);
        pos += k;
        if (buf.size() < kRecordHeaderBytes) continue;
        if (!knownType(buf[0])) {
          return fail(protocolError("unknown record type " + std::to_string(buf[0])));
        }
        bodyLen =
            static_cast<std::size_t>(Reader(std::span<const std::uint8_t>(buf).subspan(1)).u32());
        if (bodyLen > maxBody(buf[0])) {
          return fail(protocolError(std::string(typeName(buf[0])) + " record of " +
                                    std::to_string(bodyLen) + " bytes, more than the " +
                                    std::to_string(maxBody(buf[0])) + " allowed"));
        }
        buf.reserve(kRecordHeaderBytes + bodyLen);
      } else {
        std::size_t k = std::min(kRecordHeaderBytes + bodyLen - buf.size(), bytes.size() - pos);
        buf.insert(buf.end(), bytes.begin() + pos, bytes.begin() + pos + k);
        pos += k;
      }
      if (buf.size() == kRecordHeaderBytes + bodyLen) {
        auto s = dispatch(buf[0], std::span<const std::uint8_t>(buf).subspan(kRecordHeaderBytes));
        buf.clear();
        if (!s) return fail(s.error());
      }
    }
    return {};
  }

  roam::Status finishRound() {
    if (error) return *error;
    if (state != State::Ended) {
      if (!buf.empty() || file) return fail(protocolError("the round ended inside a record"));
      return fail(protocolError("the round ended without its end-of-round record"));
    }
    for (const auto& [where, mtime] : dirTimes) {
      const auto& [r, path] = where;
      Fd fd(openBeneath(rootFds[r].get(), path, O_RDONLY | O_DIRECTORY));
      if (!fd.valid()) return fail(ioError("open directory", shown(r, path)));
      timespec times[2] = {{0, UTIME_OMIT}, mtime};
      if (futimens(fd.get(), times) != 0) return fail(ioError("set times of", shown(r, path)));
    }
    dirTimes.clear();
    state = State::Header;
    return {};
  }
};

TreeApplier::TreeApplier(std::vector<std::filesystem::path> roots)
    : impl_(std::make_unique<Impl>()) {
  impl_->roots = std::move(roots);
}
TreeApplier::~TreeApplier() = default;
TreeApplier::TreeApplier(TreeApplier&&) noexcept = default;
TreeApplier& TreeApplier::operator=(TreeApplier&&) noexcept = default;

roam::Status TreeApplier::consume(std::span<const std::uint8_t> bytes) {
  return impl_->consume(bytes);
}
roam::Status TreeApplier::finishRound() {
  return impl_->finishRound();
}
ApplyStats TreeApplier::stats() const {
  return impl_->stats;
}

}  // namespace roam::agent::sync
