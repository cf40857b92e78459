#include "agent/migration/checkpoint_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/migration/file_handle.hpp"

namespace roam::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlock = 512;
using Block = std::array<char, kBlock>;

// ---- writing ----

// Octal with a terminating NUL when it fits in the field, else GNU base-256
// (a checkpoint's memory pages can exceed the 8 GiB octal sizes allow).
void putNumber(char* field, std::size_t width, std::uint64_t value) {
  const int digits = static_cast<int>(width) - 1;
  if (digits >= 22 || value < (std::uint64_t{1} << (3 * digits))) {
    std::snprintf(field, width, "%0*llo", digits, static_cast<unsigned long long>(value));
    return;
  }
  std::memset(field, 0, width);
  field[0] = static_cast<char>(0x80);
  for (std::size_t i = width - 1; i > 0 && value > 0; --i, value >>= 8)
    field[i] = static_cast<char>(value & 0xff);
}

// Splits PATH into ustar's prefix (<= 155) and name (<= 100) fields.
bool splitName(const std::string& path, std::string& prefix, std::string& name) {
  if (path.size() <= 100) {
    prefix.clear();
    name = path;
    return true;
  }
  for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    if (slash <= 155 && path.size() - slash - 1 <= 100 && slash + 1 < path.size()) {
      prefix = path.substr(0, slash);
      name = path.substr(slash + 1);
      return true;
    }
  }
  return false;
}

std::string header(const std::string& path, char type, mode_t mode, std::uint64_t size,
                   std::int64_t mtime, Block& block) {
  std::string prefix, name;
  if (!splitName(path, prefix, name)) return "path too long for a tar entry: " + path;
  block.fill('\0');
  std::memcpy(block.data(), name.data(), name.size());
  putNumber(block.data() + 100, 8, mode & 07777);
  putNumber(block.data() + 108, 8, 0);  // uid: the extracting agent owns what it writes
  putNumber(block.data() + 116, 8, 0);  // gid
  putNumber(block.data() + 124, 12, size);
  putNumber(block.data() + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(0, mtime)));
  block[156] = type;
  std::memcpy(block.data() + 257, "ustar", 6);
  std::memcpy(block.data() + 263, "00", 2);
  std::memcpy(block.data() + 345, prefix.data(), prefix.size());
  std::memset(block.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : block) sum += static_cast<unsigned char>(c);
  std::snprintf(block.data() + 148, 8, "%06o", sum);  // six digits, NUL, then the space kept
  block[155] = ' ';
  return "";
}

bool writeAll(std::FILE* out, const void* data, std::size_t n) {
  return std::fwrite(data, 1, n, out) == n;
}

std::string appendFile(std::FILE* out, const fs::path& file, std::uint64_t size) {
  FilePtr in(std::fopen(file.c_str(), "rb"));
  if (!in) return errnoText("cannot read", file);
  std::vector<char> buffer(1 << 16);
  std::uint64_t copied = 0;
  while (copied < size) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - copied));
    auto n = std::fread(buffer.data(), 1, want, in.get());
    if (n == 0) return file.string() + " shrank while being archived";
    if (!writeAll(out, buffer.data(), n)) return "write error";
    copied += n;
  }
  const Block zeros{};
  if (auto pad = (kBlock - size % kBlock) % kBlock; pad > 0 && !writeAll(out, zeros.data(), pad))
    return "write error";
  return "";
}

// ---- reading ----

std::optional<std::uint64_t> getNumber(const char* field, std::size_t width) {
  const auto byte0 = static_cast<unsigned char>(field[0]);
  if (byte0 & 0x80) {  // base-256, positive only
    if (byte0 != 0x80) return std::nullopt;
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < width; ++i) {
      if (value >> 56) return std::nullopt;
      value = (value << 8) | static_cast<unsigned char>(field[i]);
    }
    return value;
  }
  std::uint64_t value = 0;
  std::size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < width; ++i)
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  if (!any) return std::nullopt;
  return value;
}

std::string fieldText(const char* field, std::size_t width) {
  return std::string(field, strnlen(field, width));
}

bool checksumMatches(const Block& block) {
  auto stored = getNumber(block.data() + 148, 8);
  if (!stored) return false;
  unsigned unsignedSum = 0;
  int signedSum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool inField = i >= 148 && i < 156;
    unsignedSum += inField ? ' ' : static_cast<unsigned char>(block[i]);
    signedSum += inField ? ' ' : static_cast<signed char>(block[i]);
  }
  return *stored == unsignedSum || static_cast<std::int64_t>(*stored) == signedSum;
}

// A relative path of plain components: no "", ".", ".." and not absolute.
bool isSafeRelative(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

std::string checkpointIdFor(const std::string& migrationId) {
  std::string id = "roam-";
  for (char c : migrationId)
    id +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ? c : '-';
  return id;
}

bool isValidCheckpointId(const std::string& id) {
  if (id.size() < 2 || id.size() > 128 || id == "..") return false;
  if (!std::isalnum(static_cast<unsigned char>(id.front()))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

roam::Status writeDirectoryTar(const fs::path& directory, const fs::path& tarFile) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    return roam::Error{roam::ErrorCode::Io, directory.string() + " is not a directory"};
  std::vector<fs::path> entries;
  for (fs::recursive_directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(it->path());
  if (ec)
    return roam::Error{roam::ErrorCode::Io,
                       "cannot list " + directory.string() + ": " + ec.message()};
  std::sort(entries.begin(), entries.end());

  FilePtr out(std::fopen(tarFile.c_str(), "wb"));
  if (!out) return roam::Error{roam::ErrorCode::Io, errnoText("cannot write", tarFile)};
  Block block;
  for (const auto& path : entries) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      return roam::Error{roam::ErrorCode::Io, errnoText("cannot stat", path)};
    std::string name = path.lexically_relative(directory).generic_string();
    std::uint64_t size = 0;
    char type;
    if (S_ISDIR(st.st_mode)) {
      type = '5';
      name += '/';
    } else if (S_ISREG(st.st_mode)) {
      type = '0';
      size = static_cast<std::uint64_t>(st.st_size);
    } else {
      return roam::Error{roam::ErrorCode::Io,
                         path.string() + " is neither a regular file nor a directory"};
    }
    if (auto error = header(name, type, st.st_mode, size, st.st_mtime, block); !error.empty())
      return roam::Error{roam::ErrorCode::Io, error};
    if (!writeAll(out.get(), block.data(), kBlock))
      return roam::Error{roam::ErrorCode::Io, "cannot write " + tarFile.string() + " (disk full?)"};
    if (type == '0')
      if (auto error = appendFile(out.get(), path, size); !error.empty())
        return roam::Error{
            roam::ErrorCode::Io,
            error == "write error" ? "cannot write " + tarFile.string() + " (disk full?)" : error};
  }
  const Block zeros{};
  if (!writeAll(out.get(), zeros.data(), kBlock) || !writeAll(out.get(), zeros.data(), kBlock) ||
      std::fflush(out.get()) != 0)
    return roam::Error{roam::ErrorCode::Io, "cannot write " + tarFile.string() + " (disk full?)"};
  return {};
}

roam::Status extractDirectoryTar(const fs::path& tarFile, const fs::path& directory) {
  std::error_code ec;
  if (fs::exists(directory, ec))
    return roam::Error{roam::ErrorCode::Io, directory.string() + " already exists"};
  fs::create_directories(directory, ec);
  if (ec)
    return roam::Error{roam::ErrorCode::Io,
                       "cannot create " + directory.string() + ": " + ec.message()};
  FilePtr in(std::fopen(tarFile.c_str(), "rb"));
  if (!in) return roam::Error{roam::ErrorCode::Io, errnoText("cannot read", tarFile)};
  const std::string where = tarFile.string() + ": ";

  Block block;
  std::vector<char> buffer(1 << 16);
  while (true) {
    if (std::fread(block.data(), 1, kBlock, in.get()) != kBlock)
      return roam::Error{roam::ErrorCode::Io, where + "truncated (no end-of-archive blocks)"};
    if (std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; })) return {};
    if (!checksumMatches(block))
      return roam::Error{roam::ErrorCode::Checksum, where + "a header's checksum does not match"};
    std::string name = fieldText(block.data(), 100);
    if (fieldText(block.data() + 257, 5) == "ustar")
      if (auto prefix = fieldText(block.data() + 345, 155); !prefix.empty())
        name = prefix + "/" + name;
    const auto size = getNumber(block.data() + 124, 12);
    const auto mode = getNumber(block.data() + 100, 8);
    if (!size || !mode)
      return roam::Error{roam::ErrorCode::Io, where + "entry " + name + " has a malformed number"};
    const char type = block[156];
    if (type == '5' && !name.empty() && name.back() == '/') name.pop_back();
    if (!isSafeRelative(name))
      return roam::Error{roam::ErrorCode::BadInput,
                         where + "refusing entry \"" + name + "\" (not a plain path)"};
    const fs::path target = directory / name;

    if (type == '5') {
      fs::create_directories(target, ec);
      if (ec)
        return roam::Error{roam::ErrorCode::Io,
                           "cannot create " + target.string() + ": " + ec.message()};
      ::chmod(target.c_str(), static_cast<mode_t>(*mode & 0777) | S_IRWXU);
      continue;
    }
    if (type != '0' && type != '\0')
      return roam::Error{roam::ErrorCode::BadInput,
                         where + "refusing entry \"" + name + "\" of type '" +
                             std::string(1, type) +
                             "' (a checkpoint holds only files and directories)"};
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return roam::Error{roam::ErrorCode::Io,
                         "cannot create " + target.parent_path().string() + ": " + ec.message()};
    // O_EXCL + O_NOFOLLOW: a duplicate entry or anything in the way is an error.
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       static_cast<mode_t>(*mode & 0777)));
    if (fd.get() < 0) return roam::Error{roam::ErrorCode::Io, errnoText("cannot create", target)};
    std::uint64_t left = *size;
    while (left > 0) {
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), left));
      if (std::fread(buffer.data(), 1, want, in.get()) != want)
        return roam::Error{roam::ErrorCode::Io, where + "truncated inside " + name};
      for (std::size_t done = 0; done < want;) {
        auto n = ::write(fd.get(), buffer.data() + done, want - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return roam::Error{roam::ErrorCode::Io, errnoText("cannot write", target)};
        done += static_cast<std::size_t>(n);
      }
      left -= want;
    }
    if (fd.close() != 0) return roam::Error{roam::ErrorCode::Io, errnoText("cannot write", target)};
    if (auto pad = (kBlock - *size % kBlock) % kBlock; pad > 0)
      if (std::fread(buffer.data(), 1, pad, in.get()) != pad)
        return roam::Error{roam::ErrorCode::Io, where + "truncated inside " + name};
  }
}

}  // namespace roam::agent
