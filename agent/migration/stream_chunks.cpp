#include "agent/migration/stream_chunks.hpp"

namespace roam::agent {

StreamChunker::StreamChunker(StreamReader read, std::string migrationId, std::size_t chunkBytes,
                             int compressionLevel, int corruptChunk)
    : read_(std::move(read)),
      migrationId_(std::move(migrationId)),
      compressor_(compressionLevel),
      plain_(chunkBytes),
      corruptChunk_(corruptChunk) {}

OutgoingChunk StreamChunker::next(std::vector<std::uint8_t> buffer) {
  OutgoingChunk chunk;
  if (ended_) {
    chunk.finished = true;
    return chunk;
  }
  // A full chunk, or the rest of the stream: only a short read marks the end,
  // so the last frame is known without reading ahead.
  std::size_t n = 0;
  bool end = false;
  while (n < plain_.size()) {
    auto got = read_(std::span(plain_).subspan(n));
    if (!got.ok()) {
      chunk.outcome = got.error();
      return chunk;
    }
    if (*got == 0) {
      end = true;
      break;
    }
    n += *got;
  }
  const auto bytes = std::span<const std::uint8_t>(plain_).first(n);
  digest_.update(bytes);
  if (++chunks_ == corruptChunk_ && n > 0) plain_[n / 2] ^= 0x5a;
  const Data data{migrationId_, 0, offset_, end};
  std::size_t compressed = 0;
  encodeMessageInto(buffer, data, ChunkCompressor::bound(n), [&](std::span<std::uint8_t> out) {
    compressed = encodePayload(bytes, out);
    return compressed;
  });
  chunk.plainBytes = n;
  chunk.payloadBytes = compressed;
  chunk.frame = std::move(buffer);
  offset_ += n;
  if (end) {
    chunk.fileDone = true;
    ended_ = true;
    digestHex_ = digest_.hexDigest();
  }
  return chunk;
}

std::size_t StreamChunker::encodePayload(std::span<const std::uint8_t> bytes,
                                         std::span<std::uint8_t> out) {
  if (storeNext_ > 0) {
    --storeNext_;
    ++storedChunks_;
    return ChunkCompressor::storeInto(bytes, out);
  }
  const std::size_t compressed = compressor_.compressInto(bytes, out);
  // Small chunks (a round's tail) say little about the data that follows.
  constexpr std::size_t kJudgedBytes = 64 * 1024;
  if (bytes.size() >= kJudgedBytes && compressed > bytes.size() - bytes.size() / 32)
    storeNext_ = kStoredRun;
  return compressed;
}

StreamAssembler::StreamAssembler(StreamWriter write, std::string migrationId,
                                 std::size_t maxChunkBytes, std::uint64_t maxBytes)
    : write_(std::move(write)),
      migrationId_(std::move(migrationId)),
      decompressor_(maxChunkBytes),
      maxBytes_(maxBytes) {}

roam::Status StreamAssembler::add(const Data& data, std::span<const std::uint8_t> payload) {
  auto outOfOrder = [](std::string what) {
    return roam::Error{roam::ErrorCode::Protocol, std::move(what)};
  };
  if (data.migrationId != migrationId_)
    return outOfOrder("DATA for migration " + data.migrationId + " in the stream of " +
                      migrationId_);
  if (ended_) return outOfOrder("DATA after the stream's last chunk");
  if (data.file != 0) return outOfOrder("DATA for file " + std::to_string(data.file) + ", not 0");
  if (data.offset != offset_)
    return outOfOrder("DATA at offset " + std::to_string(data.offset) + " where the stream is at " +
                      std::to_string(offset_));
  if (auto plain = decompressor_.decompressInto(payload, plain_); !plain.ok())
    return roam::Error{roam::ErrorCode::BadInput,
                       "chunk at offset " + std::to_string(offset_) + ": " + plain.error().message};
  if (plain_.size() > maxBytes_ - offset_)
    return roam::Error{roam::ErrorCode::BadInput,
                       "the stream grows past its " + std::to_string(maxBytes_) + " bytes"};
  digest_.update(plain_);
  offset_ += plain_.size();
  if (data.last) {
    ended_ = true;
    digestHex_ = digest_.hexDigest();
  }
  return write_(plain_);
}

}  // namespace roam::agent
