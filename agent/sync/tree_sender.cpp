#include "agent/sync/tree_sender.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "agent/sync/fs_util.hpp"
#include "agent/sync/stream_format.hpp"

namespace roam::agent::sync {

namespace {

// What lstat said about an entry, the fields whose change sends it again.
struct Stat {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  off_t size = 0;
  timespec mtime{}, ctime{};
  ino_t ino = 0;
  dev_t dev = 0;
  nlink_t nlink = 0;
  dev_t rdev = 0;
  bool racy = false;  // a time close to the scan's start: check again next round
};

bool sameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool sameStat(const Stat& a, const Stat& b) {
  return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.size == b.size &&
         sameTime(a.mtime, b.mtime) && sameTime(a.ctime, b.ctime) && a.ino == b.ino &&
         a.dev == b.dev && a.nlink == b.nlink && a.rdev == b.rdev;
}

Stat toStat(const struct stat& st) {
  Stat s;
  s.mode = st.st_mode;
  s.uid = st.st_uid;
  s.gid = st.st_gid;
  s.size = S_ISREG(st.st_mode) ? st.st_size : 0;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  s.ino = st.st_ino;
  s.dev = st.st_dev;
  s.nlink = st.st_nlink;
  s.rdev = (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? st.st_rdev : 0;
  return s;
}

// What the destination holds for a path, as far as the sender knows.
struct Sent {
  Stat st;
  std::vector<std::uint64_t> hashes;  // regular files: XXH3 of each block sent
  bool dirty = false;                 // not known to match: send in full next round
};

using Scan = std::map<std::string, Stat>;

struct Item {
  std::uint32_t root = 0;
  std::string path;
  bool remove = false;
  bool delta = false;  // regular file: send only the blocks that differ
  std::string linkTo;  // hard link: the group's first path
};

bool isBelow(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

void beginRecord(std::vector<std::uint8_t>& out, RecordType type) {
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), 4, 0);  // body length, patched by endRecord
}

void endRecord(std::vector<std::uint8_t>& out, std::size_t start) {
  auto len = static_cast<std::uint32_t>(out.size() - start - kRecordHeaderBytes);
  for (int i = 0; i < 4; ++i) out[start + 1 + i] = static_cast<std::uint8_t>(len >> (8 * i));
}

Meta metaOf(const Stat& st) {
  Meta m;
  m.mode = st.mode;
  m.uid = st.uid;
  m.gid = st.gid;
  m.mtimeSec = st.mtime.tv_sec;
  m.mtimeNsec = static_cast<std::uint32_t>(st.mtime.tv_nsec);
  return m;
}

bool vanishedErrno(int e) {
  return e == ENOENT || e == ENOTDIR || e == ELOOP || e == EXDEV;
}

}  // namespace

struct TreeSender::Impl {
  std::vector<std::filesystem::path> roots;
  SenderOptions options;
  std::vector<std::map<std::string, Sent>> sent;  // per root
  std::vector<Fd> rootFds;
  std::vector<Scan> scans;
  std::vector<Item> items;
  std::size_t next = 0;
  bool planned = false, headerDone = false, endDone = false;
  std::vector<std::uint8_t> pending;
  std::size_t pendingPos = 0;
  RoundStats stats;
  std::set<std::pair<std::uint32_t, std::string>> vanished;  // removed while sending
  std::map<std::pair<std::uint32_t, std::string>, std::string> primaryOverride;

  // The regular file being sent.
  struct OpenFile {
    Fd fd;
    std::uint32_t root = 0;
    std::string path, shown;
    Stat st;
    bool delta = false;
    std::vector<std::uint64_t> oldHashes, newHashes;
    std::uint64_t block = 0, blocks = 0;
    off_t dataStart = 0, dataEnd = 0;  // the current data extent
  };
  std::optional<OpenFile> file;
  std::vector<std::uint8_t> buf, zeros;
  std::uint64_t zeroBlockHash = 0;

  std::string shown(std::uint32_t root, const std::string& rel) const {
    return shownPath(roots[root].string(), rel);
  }

  roam::Status scanDir(std::uint32_t r, const std::string& rel, dev_t rootDev, int depth) {
    Fd dir(openBeneath(rootFds[r].get(), rel, O_RDONLY | O_DIRECTORY));
    if (!dir.valid()) {
      if (!rel.empty() && vanishedErrno(errno)) return {};  // gone or replaced meanwhile
      return ioError("open directory", shown(r, rel));
    }
    if (depth > static_cast<int>(kMaxPathBytes)) {
      return makeError(ErrorCode::BadInput, "directory " + shown(r, rel) + ": nested too deeply");
    }
    int dupFd = dup(dir.get());
    if (dupFd < 0) return ioError("dup", shown(r, rel));
    std::unique_ptr<DIR, int (*)(DIR*)> d(fdopendir(dupFd), closedir);
    if (!d) {
      ::close(dupFd);
      return ioError("read directory", shown(r, rel));
    }
    std::vector<std::string> subdirs;
    for (;;) {
      errno = 0;
      dirent* e = readdir(d.get());
      if (e == nullptr) {
        if (errno != 0) return ioError("read directory", shown(r, rel));
        break;
      }
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string child = rel.empty() ? name : rel + "/" + name;
      if (child.size() > kMaxPathBytes || name.size() > kMaxNameBytes) {
        return makeError(ErrorCode::BadInput,
                         "path " + shown(r, child) + ": longer than the stream carries");
      }
      struct stat st {};
      if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        return ioError("lstat", shown(r, child));
      }
      if (S_ISSOCK(st.st_mode)) continue;  // sockets do not travel
      scans[r][child] = toStat(st);
      // A mount point is sent as an empty directory; its contents are another file system's.
      if (S_ISDIR(st.st_mode) && st.st_dev == rootDev) subdirs.push_back(std::move(child));
    }
    d.reset();
    dir.close();
    for (const auto& sub : subdirs) {
      if (auto s = scanDir(r, sub, rootDev, depth + 1); !s) return s;
    }
    return {};
  }

  roam::Result<RoundPlan> plan() {
    if (options.blockBytes == 0 || options.blockBytes > kMaxDataBytes) {
      return makeError(ErrorCode::BadInput, "tree sync: block size must be 1 byte to 1 MiB");
    }
    if (roots.empty() || roots.size() > kMaxRoots) {
      return makeError(ErrorCode::BadInput, "tree sync: 1 to 1024 roots");
    }
    // Abandon what is left of the previous round: a half-sent file is sent in full again.
    if (file) sent[file->root][file->path].dirty = true;
    file.reset();
    items.clear();
    next = 0;
    pending.clear();
    pendingPos = 0;
    stats = {};
    vanished.clear();
    primaryOverride.clear();
    headerDone = endDone = false;
    planned = false;
    sent.resize(roots.size());
    rootFds.clear();
    scans.assign(roots.size(), Scan{});
    if (zeros.size() != options.blockBytes) {
      zeros.assign(options.blockBytes, 0);
      zeroBlockHash = XXH3_64bits(zeros.data(), zeros.size());
    }

    timespec start{};
    clock_gettime(CLOCK_REALTIME, &start);
    for (std::uint32_t r = 0; r < roots.size(); ++r) {
      Fd fd(::open(roots[r].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd.valid()) return ioError("open root", roots[r].string());
      struct stat st {};
      if (fstat(fd.get(), &st) != 0) return ioError("lstat", roots[r].string());
      rootFds.push_back(std::move(fd));
      scans[r][""] = toStat(st);
      if (auto s = scanDir(r, "", st.st_dev, 0); !s) return s.error();
    }

    // Racy: a time from (start - window) on may hide a change made right
    // after the scan looked. A ctime is never later than the lstat that read
    // it; an mtime may be set to any value, so one far in the future (an
    // archive's) is not racy: only those up to the scan's end + window are.
    timespec end{};
    clock_gettime(CLOCK_REALTIME, &end);
    auto window = std::chrono::duration_cast<std::chrono::nanoseconds>(options.racyWindow).count();
    auto ns = [](const timespec& t) {
      return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
    };
    const std::int64_t racyFrom = ns(start) - window, racyTo = ns(end) + window;
    auto racy = [&](const Stat& st) {
      return ns(st.ctime) >= racyFrom || (ns(st.mtime) >= racyFrom && ns(st.mtime) <= racyTo);
    };

    RoundPlan plan;
    for (std::uint32_t r = 0; r < roots.size(); ++r) {
      auto& scan = scans[r];
      for (auto& [path, st] : scan) st.racy = racy(st);

      std::set<std::string> removed;
      for (const auto& [path, s] : sent[r]) {
        if (scan.count(path) != 0) continue;
        bool withParent = false;  // removed with a directory above it
        for (auto p = parentOf(path); !p.empty() && !withParent; p = parentOf(p)) {
          withParent = removed.count(p) != 0;
        }
        if (withParent) continue;
        items.push_back(Item{r, path, true, false, {}});
        removed.insert(path);
        ++plan.removals;
      }

      std::map<std::pair<dev_t, ino_t>, std::string> primaries;
      for (const auto& [path, st] : scan) {
        if (!S_ISDIR(st.mode) && st.nlink > 1) primaries.emplace(std::pair{st.dev, st.ino}, path);
      }
      for (const auto& [path, st] : scan) {
        auto it = sent[r].find(path);
        bool known = it != sent[r].end();
        if (known && !it->second.dirty && !it->second.st.racy && sameStat(it->second.st, st)) {
          continue;
        }
        Item item{r, path, false, false, {}};
        if (!S_ISDIR(st.mode) && st.nlink > 1) {
          const auto& primary = primaries.at({st.dev, st.ino});
          if (primary != path) item.linkTo = primary;
        }
        if (known && S_ISREG(st.mode) && S_ISREG(it->second.st.mode) && !it->second.dirty &&
            (it->second.st.nlink == 1 || it->second.st.ino == st.ino)) {
          item.delta = true;
        }
        if (S_ISREG(st.mode) && item.linkTo.empty()) {
          plan.contentBytesAtMost += static_cast<std::uint64_t>(st.size);
        }
        items.push_back(std::move(item));
        ++plan.entries;
      }
    }
    planned = true;
    return plan;
  }

  void emitRemove(std::uint32_t r, const std::string& path) {
    auto start = pending.size();
    beginRecord(pending, RecordType::Remove);
    Writer w(pending);
    w.u32(r);
    w.str16(path);
    endRecord(pending, start);
    auto& m = sent[r];
    m.erase(path);
    for (auto it = m.lower_bound(path + "/"); it != m.end() && isBelow(it->first, path);) {
      it = m.erase(it);
    }
    ++stats.removals;
  }

  // The entry vanished or changed its type since the scan: remove it on the
  // destination; the next round sends what is there then.
  void vanish(std::uint32_t r, const std::string& path) {
    vanished.emplace(r, path);
    emitRemove(r, path);
  }

  void entryRecord(RecordType type, std::uint32_t r, const std::string& path, const Meta& meta,
                   std::size_t& start) {
    start = pending.size();
    beginRecord(pending, type);
    Writer w(pending);
    w.u32(r);
    w.str16(path);
    w.meta(meta);
  }

  roam::Status emitItem(const Item& item) {
    const auto r = item.root;
    const auto& path = item.path;
    if (item.remove) {
      emitRemove(r, path);
      return {};
    }
    const Stat& st = scans[r].at(path);
    const std::string where = shown(r, path);
    const std::string name = leafOf(path);

    Fd parent(openBeneath(rootFds[r].get(), path.empty() ? std::string() : parentOf(path),
                          O_RDONLY | O_DIRECTORY));
    if (!parent.valid()) {
      if (vanishedErrno(errno)) {
        vanish(r, path);
        return {};
      }
      return ioError("open directory of", where);
    }
    struct stat now {};
    int rc = path.empty() ? fstat(parent.get(), &now)
                          : fstatat(parent.get(), name.c_str(), &now, AT_SYMLINK_NOFOLLOW);
    if (rc != 0 || (now.st_mode & S_IFMT) != (st.mode & S_IFMT)) {
      if (rc == 0 || errno == ENOENT) {
        vanish(r, path);
        return {};
      }
      return ioError("lstat", where);
    }

    if (!item.linkTo.empty()) {
      std::string target = item.linkTo;
      if (auto o = primaryOverride.find({r, target}); o != primaryOverride.end())
        target = o->second;
      bool primaryGone = vanished.count(std::pair{r, target}) != 0;
      if (!primaryGone && target != path) {
        auto start = pending.size();
        beginRecord(pending, RecordType::Link);
        Writer w(pending);
        w.u32(r);
        w.str16(path);
        w.str16(target);
        endRecord(pending, start);
        Sent s;
        s.st = st;
        if (auto p = sent[r].find(target); p != sent[r].end()) s.hashes = p->second.hashes;
        sent[r][path] = std::move(s);
        ++stats.entries;
        return {};
      }
      // The group's first path vanished while the round was sent: this one
      // carries the content and the others link to it.
      primaryOverride[{r, item.linkTo}] = path;
    }

    Meta meta = metaOf(st);
    std::size_t start = 0;
    if (S_ISDIR(st.mode)) {
      Fd dir(path.empty() ? dup(parent.get())
                          : openat(parent.get(), name.c_str(),
                                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dir.valid()) {
        if (vanishedErrno(errno)) {
          vanish(r, path);
          return {};
        }
        return ioError("open directory", where);
      }
      auto x = readXattrs(dir.get(), {}, where);
      if (!x) return x.error();
      meta.xattrs = std::move(*x);
      entryRecord(RecordType::Dir, r, path, meta, start);
      endRecord(pending, start);
    } else if (S_ISREG(st.mode)) {
      int fd = openat(parent.get(), name.c_str(),
                      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NOATIME);
      if (fd < 0 && errno == EPERM) {
        fd = openat(parent.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      }
      Fd f(fd);
      if (!f.valid()) {
        if (vanishedErrno(errno)) {
          vanish(r, path);
          return {};
        }
        return ioError("open", where);
      }
      auto x = readXattrs(f.get(), {}, where);
      if (!x) return x.error();
      meta.xattrs = std::move(*x);
      entryRecord(RecordType::File, r, path, meta, start);
      Writer w(pending);
      w.u64(static_cast<std::uint64_t>(st.size));
      w.u8(item.delta ? kFileDelta : kFileNew);
      endRecord(pending, start);

      OpenFile of;
      of.fd = std::move(f);
      of.root = r;
      of.path = path;
      of.shown = where;
      of.st = st;
      of.delta = item.delta;
      auto& s = sent[r][path];
      if (item.delta) of.oldHashes = std::move(s.hashes);
      s = Sent{};
      s.st = st;
      s.dirty = true;  // until its last block is out
      auto size = static_cast<std::uint64_t>(st.size);
      of.blocks = (size + options.blockBytes - 1) / options.blockBytes;
      of.newHashes.reserve(of.blocks);
      file = std::move(of);
    } else if (S_ISLNK(st.mode)) {
      std::string target(kMaxPathBytes + 1, '\0');
      ssize_t n = readlinkat(parent.get(), name.c_str(), target.data(), target.size());
      if (n < 0) {
        if (vanishedErrno(errno) || errno == EINVAL) {
          vanish(r, path);
          return {};
        }
        return ioError("readlink", where);
      }
      if (static_cast<std::size_t>(n) > kMaxPathBytes) {
        return makeError(ErrorCode::BadInput,
                         "symlink " + where + ": target longer than the stream carries");
      }
      target.resize(static_cast<std::size_t>(n));
      auto x = readXattrs(-1, procPath(parent.get(), name), where);
      if (!x) return x.error();
      meta.xattrs = std::move(*x);
      entryRecord(RecordType::Symlink, r, path, meta, start);
      Writer w(pending);
      w.str16(target);
      endRecord(pending, start);
    } else {  // character or block device, FIFO
      auto x = readXattrs(-1, procPath(parent.get(), name), where);
      if (!x) return x.error();
      meta.xattrs = std::move(*x);
      entryRecord(RecordType::Node, r, path, meta, start);
      Writer w(pending);
      w.u64(static_cast<std::uint64_t>(st.rdev));
      endRecord(pending, start);
    }
    if (!file) sent[r][path] = Sent{st, {}, false};
    ++stats.entries;
    return {};
  }

  std::uint64_t zeroHash(std::size_t len) const {
    return len == zeros.size() ? zeroBlockHash : XXH3_64bits(zeros.data(), len);
  }

  // Emits the open file's next changed block, or its end record.
  roam::Status emitBlock() {
    auto& f = *file;
    const auto size = static_cast<std::uint64_t>(f.st.size);
    while (f.block < f.blocks) {
      const std::uint64_t i = f.block++;
      const auto off = static_cast<off_t>(i * options.blockBytes);
      const auto len = static_cast<std::size_t>(
          std::min<std::uint64_t>(options.blockBytes, size - i * options.blockBytes));
      // Only data extents are read; a block wholly in a hole is zeros.
      if (off >= f.dataEnd) {
        f.dataStart = lseek(f.fd.get(), off, SEEK_DATA);
        if (f.dataStart < 0) {
          if (errno != ENXIO) return ioError("seek in", f.shown);
          f.dataStart = f.dataEnd = std::numeric_limits<off_t>::max();
        } else {
          f.dataEnd = lseek(f.fd.get(), f.dataStart, SEEK_HOLE);
          if (f.dataEnd < 0) return ioError("seek in", f.shown);
        }
      }
      bool hole = off + static_cast<off_t>(len) <= f.dataStart;
      std::uint64_t hash;
      bool zero;
      if (hole) {
        hash = zeroHash(len);
        zero = true;
      } else {
        buf.resize(len);
        std::size_t got = 0;
        while (got < len) {
          ssize_t n = pread(f.fd.get(), buf.data() + got, len - got, off + static_cast<off_t>(got));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return ioError("read", f.shown);
          if (n == 0) break;  // shrank since the scan: the rest reads as zeros
          got += static_cast<std::size_t>(n);
        }
        std::fill(buf.begin() + static_cast<std::ptrdiff_t>(got), buf.end(), 0);
        hash = XXH3_64bits(buf.data(), len);
        zero = hash == zeroHash(len) && std::memcmp(buf.data(), zeros.data(), len) == 0;
      }
      f.newHashes.push_back(hash);
      if (f.delta && i < f.oldHashes.size() && f.oldHashes[i] == hash) continue;
      if (zero) {
        // A new file and the part past the old size read as zeros after the truncate.
        if (!f.delta || i >= f.oldHashes.size()) continue;
        auto start = pending.size();
        beginRecord(pending, RecordType::Hole);
        Writer w(pending);
        w.u64(static_cast<std::uint64_t>(off));
        w.u64(len);
        endRecord(pending, start);
        return {};
      }
      auto start = pending.size();
      beginRecord(pending, RecordType::Data);
      Writer w(pending);
      w.u64(static_cast<std::uint64_t>(off));
      w.bytes(buf.data(), len);
      endRecord(pending, start);
      stats.contentBytes += len;
      return {};
    }
    auto start = pending.size();
    beginRecord(pending, RecordType::FileEnd);
    endRecord(pending, start);
    auto& s = sent[f.root][f.path];
    s.hashes = std::move(f.newHashes);
    s.dirty = false;
    file.reset();
    return {};
  }

  // Puts the stream's next record(s) into PENDING.
  roam::Status produce() {
    pending.clear();
    pendingPos = 0;
    if (!headerDone) {
      Writer w(pending);
      w.bytes(kMagic, sizeof kMagic);
      w.u32(kVersion);
      headerDone = true;
      return {};
    }
    if (file) return emitBlock();
    if (next < items.size()) return emitItem(items[next++]);
    auto start = pending.size();
    beginRecord(pending, RecordType::End);
    Writer w(pending);
    w.u64(stats.entries);
    w.u64(stats.removals);
    w.u64(stats.contentBytes);
    endRecord(pending, start);
    endDone = true;
    return {};
  }

  roam::Result<std::size_t> read(std::span<std::uint8_t> out) {
    if (!planned) return makeError(ErrorCode::Internal, "tree sync: read before planRound");
    std::size_t n = 0;
    while (n < out.size()) {
      if (pendingPos < pending.size()) {
        std::size_t k = std::min(out.size() - n, pending.size() - pendingPos);
        std::memcpy(out.data() + n, pending.data() + pendingPos, k);
        n += k;
        pendingPos += k;
        continue;
      }
      if (endDone) break;
      if (auto s = produce(); !s) {
        if (file) sent[file->root][file->path].dirty = true;
        file.reset();
        planned = false;  // the stream is broken: plan again
        return s.error();
      }
    }
    stats.streamBytes += n;
    return n;
  }
};

TreeSender::TreeSender(std::vector<std::filesystem::path> roots, SenderOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->roots = std::move(roots);
  impl_->options = options;
}
TreeSender::~TreeSender() = default;
TreeSender::TreeSender(TreeSender&&) noexcept = default;
TreeSender& TreeSender::operator=(TreeSender&&) noexcept = default;

roam::Result<RoundPlan> TreeSender::planRound() {
  return impl_->plan();
}
roam::Result<std::size_t> TreeSender::read(std::span<std::uint8_t> out) {
  return impl_->read(out);
}
RoundStats TreeSender::stats() const {
  return impl_->stats;
}

}  // namespace roam::agent::sync
