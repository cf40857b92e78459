#include "agent/migration/image_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "agent/migration/file_handle.hpp"
#include "agent/migration/stream_checksum.hpp"

namespace roam::agent {

namespace {

using nlohmann::json;

constexpr std::uint64_t kBlock = 512;
// Pax and GNU long-name records are a few hundred bytes in practice; the cap only
// stops a corrupt size field from making us allocate gigabytes.
constexpr std::uint64_t kMaxExtensionBytes = 1 << 20;
// manifest.json and the image config are small JSON documents; same reasoning.
constexpr std::uint64_t kMaxJsonBytes = 64ull << 20;
constexpr std::size_t kCopyBufferBytes = 256 * 1024;

std::uint64_t padded(std::uint64_t size) {
  return (size + kBlock - 1) / kBlock * kBlock;
}

std::string normalName(std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  return name;
}

// A file opened for positional reads; every read names its offset, so the walk
// and the copy never disturb each other.
class InputFile {
 public:
  std::string open(const std::filesystem::path& path) {
    path_ = path.string();
    fd_ = UniqueFd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd_.get() < 0) return path_ + ": cannot open: " + std::strerror(errno);
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return path_ + ": cannot stat: " + std::strerror(errno);
    if (!S_ISREG(st.st_mode)) return path_ + ": not a regular file";
    size_ = static_cast<std::uint64_t>(st.st_size);
    return "";
  }

  // Reads exactly out.size() bytes at OFFSET; "" or an error.
  std::string readAt(std::uint64_t offset, std::span<std::uint8_t> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return path_ + ": read failed: " + std::strerror(errno);
      if (n == 0)
        return path_ + ": unexpected end of file at offset " + std::to_string(offset + done);
      done += static_cast<std::size_t>(n);
    }
    return "";
  }

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }

 private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
};

// Numeric header fields: octal text (space/NUL padded), or GNU base-256 when the
// top bit of the first byte is set (Go writes that for values octal cannot hold).
std::optional<std::uint64_t> parseNumber(const std::uint8_t* field, std::size_t len) {
  if (len > 0 && (field[0] & 0x80)) {
    if (field[0] & 0x40) return std::nullopt;  // negative
    std::uint64_t v = field[0] & 0x3f;
    for (std::size_t i = 1; i < len; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | field[i];
    }
    return v;
  }
  std::size_t i = 0, end = len;
  while (i < end && field[i] == ' ') ++i;
  while (end > i && (field[end - 1] == ' ' || field[end - 1] == 0)) --end;
  std::uint64_t v = 0;
  for (; i < end; ++i) {
    if (field[i] < '0' || field[i] > '7') return std::nullopt;
    if (v >> 60) return std::nullopt;
    v = v * 8 + (field[i] - '0');
  }
  return v;
}

std::string cString(const std::uint8_t* field, std::size_t len) {
  const auto* end = std::find(field, field + len, std::uint8_t{0});
  return std::string(reinterpret_cast<const char*>(field), end - field);
}

// Historic writers summed signed chars; Go accepts either sum, and so do we.
bool checksumMatches(const std::array<std::uint8_t, kBlock>& b) {
  auto stored = parseNumber(b.data() + 148, 8);
  if (!stored) return false;
  std::int64_t unsignedSum = 0, signedSum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool inField = i >= 148 && i < 156;
    unsignedSum += inField ? ' ' : b[i];
    signedSum += inField ? ' ' : static_cast<std::int8_t>(b[i]);
  }
  return *stored == static_cast<std::uint64_t>(unsignedSum) ||
         static_cast<std::int64_t>(*stored) == signedSum;
}

// One logical entry: its extension headers (if any), its own header, its data.
struct TarEntry {
  std::string name;
  char type = '0';
  std::uint64_t start = 0;      // first byte of the first header belonging to it
  std::uint64_t dataStart = 0;  // first data byte
  std::uint64_t dataSize = 0;
  std::uint64_t end = 0;  // one past the data's padding: the next entry's start
};

// Pax records: "<len> <key>=<value>\n", where len counts the whole record.
std::string parsePax(std::span<const std::uint8_t> data, std::map<std::string, std::string>& out) {
  std::string text(reinterpret_cast<const char*>(data.data()), data.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == 0) break;  // some writers pad with NULs
    const auto space = text.find(' ', pos);
    if (space == std::string::npos || space == pos || space - pos > 20) return "bad pax record";
    std::uint64_t len = 0;
    for (std::size_t i = pos; i < space; ++i) {
      if (text[i] < '0' || text[i] > '9') return "bad pax record length";
      len = len * 10 + (text[i] - '0');
    }
    if (len <= space - pos + 1 || len > text.size() - pos || text[pos + len - 1] != '\n')
      return "bad pax record length";
    const std::string record = text.substr(space + 1, pos + len - 1 - (space + 1));
    const auto eq = record.find('=');
    if (eq == std::string::npos || eq == 0) return "bad pax record";
    out[record.substr(0, eq)] = record.substr(eq + 1);
    pos += len;
  }
  return "";
}

bool headerOnlyType(char type) {
  // Go's reader ignores the size field of these types; so does `docker load`.
  return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

// Walks entry headers in file order, seeking over data.
class TarWalker {
 public:
  explicit TarWalker(const InputFile& file) : file_(file) {}

  // The next entry; nullopt at the end-of-archive marker (error() empty) or on
  // failure (error() set).
  std::optional<TarEntry> next() {
    if (done_ || !error_.empty()) return std::nullopt;
    TarEntry entry;
    entry.start = pos_;
    std::optional<std::string> longName, paxPath;
    std::optional<std::uint64_t> paxSize;
    bool pending = false;  // extension headers read, their entry not yet
    for (;;) {
      std::array<std::uint8_t, kBlock> block{};
      if (pos_ + kBlock > file_.size()) {
        if (pos_ == 0 && file_.size() == 0) return fail("empty file, not a tar archive");
        if (pos_ == file_.size() && !pending)
          return fail("ends without the end-of-archive marker (truncated?)");
        return fail("truncated inside a header at offset " + std::to_string(pos_));
      }
      if (auto e = file_.readAt(pos_, block); !e.empty()) return failRaw(e);
      if (std::all_of(block.begin(), block.end(), [](std::uint8_t b) { return b == 0; })) {
        if (pending)
          return fail("extension header at offset " + std::to_string(entry.start) +
                      " is followed by the end of the archive");
        endMarker_ = pos_;
        done_ = true;
        return std::nullopt;
      }
      if (!checksumMatches(block))
        return fail("bad header checksum at offset " + std::to_string(pos_) +
                    (pos_ == 0 ? " (not a tar archive?)" : ""));
      const char type = static_cast<char>(block[156]);
      const auto size = parseNumber(block.data() + 124, 12);
      if (!size) return fail("bad size field in the header at offset " + std::to_string(pos_));
      const std::uint64_t dataStart = pos_ + kBlock;

      if (type == 'x' || type == 'L' || type == 'K') {
        if (*size > kMaxExtensionBytes)
          return fail("extension header at offset " + std::to_string(pos_) + " is too large");
        if (dataStart + padded(*size) > file_.size())
          return fail("truncated inside the extension header at offset " + std::to_string(pos_));
        std::vector<std::uint8_t> data(*size);
        if (auto e = file_.readAt(dataStart, data); !e.empty()) return failRaw(e);
        if (type == 'x') {
          std::map<std::string, std::string> records;
          if (auto e = parsePax(data, records); !e.empty())
            return fail(e + " in the pax header at offset " + std::to_string(pos_));
          if (auto it = records.find("path"); it != records.end()) paxPath = it->second;
          if (auto it = records.find("size"); it != records.end()) {
            const auto& s = it->second;
            if (s.empty() || s.size() > 19 ||
                !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
              return fail("bad pax size in the header at offset " + std::to_string(pos_));
            paxSize = std::stoull(s);
          }
        } else if (type == 'L') {
          longName = cString(data.data(), data.size());
        }  // 'K' (long link name) only matters to extraction
        pos_ = dataStart + padded(*size);
        pending = true;
        continue;
      }

      entry.type = type;
      if (paxPath) {
        entry.name = *paxPath;
      } else if (longName) {
        entry.name = *longName;
      } else {
        entry.name = cString(block.data(), 100);
        // The ustar prefix field; GNU headers use those bytes for other things.
        if (std::memcmp(block.data() + 257,
                        "ustar\0"
                        "00",
                        8) == 0) {
          auto prefix = cString(block.data() + 345, 155);
          if (!prefix.empty()) entry.name = prefix + "/" + entry.name;
        }
      }
      entry.name = normalName(entry.name);
      entry.dataStart = dataStart;
      entry.dataSize = headerOnlyType(type) ? 0 : paxSize.value_or(*size);
      entry.end = dataStart + padded(entry.dataSize);
      if (entry.end > file_.size() || entry.end < dataStart)
        return fail("truncated inside the data of \"" + entry.name + "\"");
      pos_ = entry.end;
      return entry;
    }
  }

  const std::string& error() const { return error_; }
  std::uint64_t endMarker() const { return endMarker_; }

 private:
  std::nullopt_t fail(const std::string& what) { return failRaw(file_.path() + ": " + what); }
  std::nullopt_t failRaw(std::string what) {
    error_ = std::move(what);
    return std::nullopt;
  }

  const InputFile& file_;
  std::uint64_t pos_ = 0;
  std::uint64_t endMarker_ = 0;
  bool done_ = false;
  std::string error_;
};

struct Located {
  std::uint64_t offset = 0, size = 0;
};

// Parses the JSON document stored in an entry; "" or an error.
std::string readJson(const InputFile& file, const std::string& name, const Located& where,
                     json& out) {
  if (where.size > kMaxJsonBytes) return file.path() + ": " + name + " is too large";
  std::vector<std::uint8_t> bytes(where.size);
  if (auto e = file.readAt(where.offset, bytes); !e.empty()) return e;
  out = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (out.is_discarded()) return file.path() + ": " + name + " is not valid JSON";
  return "";
}

bool isStringArray(const json& j) {
  return j.is_array() &&
         std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
}

}  // namespace

roam::Result<ImageArchiveIndex> indexImageArchive(const std::filesystem::path& tarFile) {
  InputFile file;
  if (auto e = file.open(tarFile); !e.empty()) return roam::Error{roam::ErrorCode::BadInput, e};
  std::map<std::string, Located> files;
  TarWalker walker(file);
  while (auto entry = walker.next()) {
    if (entry->type == '0' || entry->type == '\0' || entry->type == '7')
      files[entry->name] = {entry->dataStart, entry->dataSize};
  }
  if (!walker.error().empty()) return roam::Error{roam::ErrorCode::BadInput, walker.error()};
  const std::string where = file.path() + ": ";

  auto manifestAt = files.find("manifest.json");
  if (manifestAt == files.end())
    return roam::Error{roam::ErrorCode::BadInput,
                       where + "no manifest.json (not a docker save archive?)"};
  json manifest;
  if (auto e = readJson(file, "manifest.json", manifestAt->second, manifest); !e.empty())
    return roam::Error{roam::ErrorCode::BadInput, e};
  if (!manifest.is_array() || manifest.size() != 1 || !manifest[0].is_object())
    return roam::Error{roam::ErrorCode::BadInput,
                       where + "manifest.json must list exactly one image"};
  const json& image = manifest[0];
  ImageArchiveIndex index;
  if (!image.contains("Config") || !image["Config"].is_string())
    return roam::Error{roam::ErrorCode::BadInput, where + "manifest.json has no Config string"};
  index.configFile = normalName(image["Config"].get<std::string>());
  if (image.contains("RepoTags") && !image["RepoTags"].is_null()) {
    if (!isStringArray(image["RepoTags"]))
      return roam::Error{roam::ErrorCode::BadInput,
                         where + "manifest.json RepoTags is not an array of strings"};
    index.repoTags = image["RepoTags"].get<std::vector<std::string>>();
  }
  if (!image.contains("Layers") || !isStringArray(image["Layers"]))
    return roam::Error{roam::ErrorCode::BadInput,
                       where + "manifest.json Layers is not an array of strings"};
  for (const auto& layer : image["Layers"])
    index.layerFiles.push_back(normalName(layer.get<std::string>()));

  auto configAt = files.find(index.configFile);
  if (configAt == files.end())
    return roam::Error{roam::ErrorCode::BadInput, where + "the config " + index.configFile +
                                                      " named by manifest.json is missing"};
  json config;
  if (auto e = readJson(file, index.configFile, configAt->second, config); !e.empty())
    return roam::Error{roam::ErrorCode::BadInput, e};
  const json* diffIds = nullptr;
  if (config.is_object() && config.contains("rootfs") && config["rootfs"].is_object() &&
      config["rootfs"].contains("diff_ids"))
    diffIds = &config["rootfs"]["diff_ids"];
  if (!diffIds || !isStringArray(*diffIds))
    return roam::Error{roam::ErrorCode::BadInput,
                       where + index.configFile + " has no rootfs.diff_ids string array"};
  index.diffIds = diffIds->get<std::vector<std::string>>();
  if (index.diffIds.size() != index.layerFiles.size())
    return roam::Error{roam::ErrorCode::BadInput,
                       where + "manifest.json lists " + std::to_string(index.layerFiles.size()) +
                           " layers but " + index.configFile + " has " +
                           std::to_string(index.diffIds.size()) + " diff_ids"};
  return index;
}

struct FilteredTarReader::State {
  InputFile file;
  std::set<std::string> omit;
  std::optional<TarWalker> walker;         // constructed once file is open (it keeps a reference)
  std::uint64_t copyPos = 0, copyEnd = 0;  // the file range being copied out
  bool lastRange = false;                  // the range is the end marker and what follows
};

FilteredTarReader::FilteredTarReader(const std::filesystem::path& tarFile,
                                     std::set<std::string> omit)
    : state_(std::make_unique<State>()) {
  for (const auto& name : omit) state_->omit.insert(normalName(name));
  if (auto e = state_->file.open(tarFile); !e.empty())
    error_ = roam::Error{roam::ErrorCode::Io, std::move(e)};
  else
    state_->walker.emplace(state_->file);
}

FilteredTarReader::~FilteredTarReader() = default;
FilteredTarReader::FilteredTarReader(FilteredTarReader&&) noexcept = default;
FilteredTarReader& FilteredTarReader::operator=(FilteredTarReader&&) noexcept = default;

std::size_t FilteredTarReader::read(std::span<std::uint8_t> out) {
  if (error_ || !state_) return 0;
  State& s = *state_;
  std::size_t filled = 0;
  while (filled < out.size()) {
    if (s.copyPos == s.copyEnd) {
      if (s.lastRange) break;
      auto entry = s.walker->next();
      if (!entry) {
        if (!s.walker->error().empty()) {
          error_ = roam::Error{roam::ErrorCode::BadInput, s.walker->error()};
          return 0;
        }
        s.copyPos = s.walker->endMarker();
        s.copyEnd = s.file.size();
        s.lastRange = true;
        continue;
      }
      if (s.omit.contains(entry->name)) continue;
      s.copyPos = entry->start;
      s.copyEnd = entry->end;
      continue;
    }
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(s.copyEnd - s.copyPos, out.size() - filled));
    if (auto e = s.file.readAt(s.copyPos, out.subspan(filled, n)); !e.empty()) {
      error_ = roam::Error{roam::ErrorCode::Io, std::move(e)};
      return 0;
    }
    s.copyPos += n;
    filled += n;
  }
  return filled;
}

roam::Result<Digest> digestFiltered(const std::filesystem::path& tarFile,
                                    const std::set<std::string>& omit) {
  FilteredTarReader reader(tarFile, omit);
  std::vector<std::uint8_t> buffer(kCopyBufferBytes);
  StreamChecksum hash;
  Digest digest;
  while (std::size_t n = reader.read(buffer)) {
    hash.update(std::span(buffer).first(n));
    digest.size += n;
  }
  if (reader.error()) return *reader.error();
  digest.checksum = hash.hexDigest();
  return digest;
}

roam::Result<Digest> digestFile(const std::filesystem::path& file) {
  InputFile in;
  if (auto e = in.open(file); !e.empty()) return roam::Error{roam::ErrorCode::Io, e};
  std::vector<std::uint8_t> buffer(kCopyBufferBytes);
  StreamChecksum hash;
  Digest digest;
  while (digest.size < in.size()) {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), in.size() - digest.size));
    if (auto e = in.readAt(digest.size, std::span(buffer).first(n)); !e.empty())
      return roam::Error{roam::ErrorCode::Io, e};
    hash.update(std::span(buffer).first(n));
    digest.size += n;
  }
  digest.checksum = hash.hexDigest();
  return digest;
}

}  // namespace roam::agent
