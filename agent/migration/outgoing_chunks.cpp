#include "agent/migration/outgoing_chunks.hpp"

#include <algorithm>
#include <cstdio>
#include <span>

#include "agent/migration/file_handle.hpp"
#include "agent/migration/image_archive.hpp"

namespace roam::agent {

// Reads a file as it is, or a `docker save` tar without the omitted layers.
class OutgoingReader {
 public:
  explicit OutgoingReader(const OutgoingFile& file) {
    if (file.entry.kind == "image")
      tar_ = std::make_unique<FilteredTarReader>(file.path, file.omit);
    else
      plain_ = openFile(file.path, "rb");
    if (!tar_ && !plain_) error_ = "cannot read " + file.path.string();
  }
  std::size_t read(std::span<std::uint8_t> out) {
    if (tar_) {
      auto n = tar_->read(out);
      if (!tar_->error().empty()) error_ = tar_->error();
      return n;
    }
    if (!plain_) return 0;
    auto n = std::fread(out.data(), 1, out.size(), plain_.get());
    if (n < out.size() && std::ferror(plain_.get())) error_ = "read error";
    return n;
  }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<FilteredTarReader> tar_;
  FilePtr plain_;
  std::string error_;
};

ChunkSource::ChunkSource(std::vector<OutgoingFile> files, std::string migrationId,
                         std::size_t chunkBytes, int compressionLevel, int corruptChunk)
    : files_(std::move(files)),
      migrationId_(std::move(migrationId)),
      compressor_(compressionLevel),
      plain_(chunkBytes),
      corruptChunk_(corruptChunk) {}

ChunkSource::~ChunkSource() = default;

OutgoingChunk ChunkSource::next(std::vector<std::uint8_t> buffer) {
  OutgoingChunk chunk;
  if (index_ >= files_.size()) {
    chunk.finished = true;
    return chunk;
  }
  const auto& file = files_[index_];
  if (!reader_) {
    reader_ = std::make_unique<OutgoingReader>(file);
    offset_ = 0;
  }
  const auto size = file.entry.size;
  const auto want =
      static_cast<std::size_t>(std::min<std::uint64_t>(plain_.size(), size - offset_));
  const std::size_t n = reader_->read(std::span(plain_).first(want));
  if (!reader_->error().empty()) {
    chunk.outcome =
        roam::Error{roam::ErrorCode::Io, "reading " + file.path.string() + ": " + reader_->error()};
    return chunk;
  }
  if (n == 0 && offset_ < size) {
    chunk.outcome =
        roam::Error{roam::ErrorCode::Io, file.path.string() + " shrank while being sent"};
    return chunk;
  }
  if (++chunks_ == corruptChunk_ && n > 0) plain_[n / 2] ^= 0x5a;

  const auto bytes = std::span<const std::uint8_t>(plain_).first(n);
  const Data data{migrationId_, index_, offset_, offset_ + n == size};
  std::size_t compressed = 0;
  encodeMessageInto(buffer, data, ChunkCompressor::bound(n), [&](std::span<std::uint8_t> out) {
    compressed = compressor_.compressInto(bytes, out);
    return compressed;
  });
  chunk.plainBytes = n;
  chunk.payloadBytes = compressed;
  chunk.frame = std::move(buffer);
  offset_ += n;
  if (data.last) {
    chunk.fileDone = true;
    reader_.reset();
    ++index_;
  }
  return chunk;
}

}  // namespace roam::agent
