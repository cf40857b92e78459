#pragma once
// The tree-sync stream (docs/protocol.md, "The tree-sync stream"): what
// TreeSender writes and TreeApplier reads. One stream per round:
//
//   round header   "RTSY" u32 version
//   records        u8 type, u32 body length, body  (every length bounded)
//   ...            the last record is End
//
// Integers are little-endian. Shared by the sender, the applier and the fuzz
// target; nothing here touches the file system.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roam::agent::sync {

inline constexpr std::uint8_t kMagic[4] = {'R', 'T', 'S', 'Y'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::size_t kRoundHeaderBytes = 8;
inline constexpr std::size_t kRecordHeaderBytes = 5;  // type + body length

inline constexpr std::size_t kMaxPathBytes = 4096;  // PATH_MAX
inline constexpr std::size_t kMaxNameBytes = 255;   // NAME_MAX
inline constexpr std::size_t kMaxXattrCount = 1024;
inline constexpr std::size_t kMaxXattrNameBytes = 255;     // XATTR_NAME_MAX
inline constexpr std::size_t kMaxXattrValueBytes = 65536;  // XATTR_SIZE_MAX
inline constexpr std::size_t kMaxXattrTotalBytes = 1 << 20;
inline constexpr std::size_t kMaxDataBytes = 1 << 20;  // largest block
inline constexpr std::size_t kMaxRoots = 1024;
// The largest body of each kind of record.
inline constexpr std::size_t kMaxEntryBody = 64 * 1024 + kMaxXattrTotalBytes;
inline constexpr std::size_t kMaxDataBody = 8 + kMaxDataBytes;

enum class RecordType : std::uint8_t {
  Remove = 1,   // root, path: remove whatever is there, a directory with its tree
  Dir = 2,      // root, path, meta                (times applied at the round's end)
  File = 3,     // root, path, meta, u64 size, u8 mode (0 new, 1 delta); then Data/Hole, FileEnd
  Data = 4,     // u64 offset, bytes               (into the open file)
  Hole = 5,     // u64 offset, u64 length          (zeros, punched as a hole)
  FileEnd = 6,  // (empty)                         the open file's metadata, close
  Symlink = 7,  // root, path, meta, target
  Node = 8,     // root, path, meta, u64 rdev      (character/block device, FIFO)
  Link = 9,     // root, path, target path         (hard link to a path of the same root)
  End = 10,     // u64 entries, u64 removals, u64 content bytes: the round's counts
};

inline constexpr std::uint8_t kFileNew = 0;
inline constexpr std::uint8_t kFileDelta = 1;

// The largest body a record of TYPE may have; 0 for an unknown type.
constexpr std::size_t maxBody(std::uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::Remove:
    case RecordType::Link:
      return 4 + 2 * (2 + kMaxPathBytes);
    case RecordType::Dir:
    case RecordType::File:
    case RecordType::Symlink:
    case RecordType::Node:
      return kMaxEntryBody;
    case RecordType::Data:
      return kMaxDataBody;
    case RecordType::Hole:
      return 16;
    case RecordType::FileEnd:
      return 0;
    case RecordType::End:
      return 24;
  }
  return 0;
}

constexpr bool knownType(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(RecordType::Remove) &&
         type <= static_cast<std::uint8_t>(RecordType::End);
}

struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};

// What every entry record carries about its inode.
struct Meta {
  std::uint32_t mode = 0;  // st_mode: type and permission bits
  std::uint32_t uid = 0, gid = 0;
  std::int64_t mtimeSec = 0;
  std::uint32_t mtimeNsec = 0;
  std::vector<Xattr> xattrs;
};

// Appends little-endian values to a byte buffer.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void str16(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void meta(const Meta& m) {
    u32(m.mode);
    u32(m.uid);
    u32(m.gid);
    u64(static_cast<std::uint64_t>(m.mtimeSec));
    u32(m.mtimeNsec);
    u16(static_cast<std::uint16_t>(m.xattrs.size()));
    for (const auto& x : m.xattrs) {
      u8(static_cast<std::uint8_t>(x.name.size()));
      bytes(x.name.data(), x.name.size());
      u32(static_cast<std::uint32_t>(x.value.size()));
      bytes(x.value.data(), x.value.size());
    }
  }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

// Reads little-endian values from a record body; every read is bounds-checked
// and a failed one leaves ok() false for good.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return ok_ && pos_ == in_.size(); }
  std::size_t remaining() const { return ok_ ? in_.size() - pos_ : 0; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string str(std::size_t n) {
    auto b = bytes(n);
    return std::string(b.begin(), b.end());
  }
  // A u16-prefixed string of at most MAX bytes.
  std::optional<std::string> str16(std::size_t max) {
    std::size_t n = u16();
    if (!ok_ || n > max) {
      ok_ = false;
      return std::nullopt;
    }
    auto s = str(n);
    if (!ok_) return std::nullopt;
    return s;
  }
  std::optional<Meta> meta() {
    Meta m;
    m.mode = u32();
    m.uid = u32();
    m.gid = u32();
    m.mtimeSec = static_cast<std::int64_t>(u64());
    m.mtimeNsec = u32();
    std::size_t count = u16();
    if (!ok_ || count > kMaxXattrCount || m.mtimeNsec >= 1000000000u) return fail<Meta>();
    for (std::size_t i = 0; i < count; ++i) {
      Xattr x;
      std::size_t nameLen = u8();
      if (!ok_ || nameLen == 0) return fail<Meta>();
      x.name = str(nameLen);
      std::size_t valueLen = u32();
      if (!ok_ || valueLen > kMaxXattrValueBytes) return fail<Meta>();
      x.value = str(valueLen);
      if (!ok_ || x.name.find('\0') != std::string::npos) return fail<Meta>();
      m.xattrs.push_back(std::move(x));
    }
    return m;
  }

 private:
  template <class T>
  std::optional<T> fail() {
    ok_ = false;
    return std::nullopt;
  }
  std::uint64_t le(int n) {
    if (!ok_ || in_.size() - pos_ < static_cast<std::size_t>(n)) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Empty when PATH is a valid relative path of a stream (see docs/protocol.md),
// else why not. The empty path (the root itself) is valid only where
// EMPTY_ALLOWED.
std::string pathProblem(std::string_view path, bool emptyAllowed);

}  // namespace roam::agent::sync
