#pragma once
// One byte stream of a migration (a pre-copy round's tree-sync stream, or an
// image archive) as DATA frames, off the io thread. The sender's side reads
// the stream through a callback and compresses each chunk straight into its
// frame; the receiver's side checks each frame continues the stream,
// decompresses it and hands the bytes on. Both keep the checksum of the plain
// bytes (stream_checksum.hpp), which the two ends compare at the stream's end
// (docs/protocol.md).
//
// Chunks that do not compress (random or already compressed data) are stored
// instead: after a chunk that compression shrinks by less than 1/32, the next
// kStoredRun chunks go as stored zstd frames, then compression is tried again.
//
// A stream is DATA frames for file 0 with offsets from 0, each chunk one
// independent zstd frame, ended by a frame with `last` (possibly empty).

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "agent/migration/chunk_codec.hpp"
#include "agent/migration/stream_checksum.hpp"
#include "agent/protocol/messages.hpp"
#include "common/result.hpp"

namespace roam::agent {

// One DATA frame ready for the wire, or the end of the stream, or an error.
struct OutgoingChunk {
  std::vector<std::uint8_t> frame;  // the encoded frame
  std::uint64_t plainBytes = 0;     // stream bytes it carries
  std::uint64_t payloadBytes = 0;   // its (compressed) payload
  bool fileDone = false;            // it is the stream's last frame
  bool finished = false;            // no frame: the stream has been sent
  roam::Status outcome;             // no frame when reading failed
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

// Fills the buffer with the stream's next bytes; 0 is the end.
using StreamReader = std::function<roam::Result<std::size_t>(std::span<std::uint8_t>)>;
// Takes the stream's next bytes.
using StreamWriter = std::function<roam::Status(std::span<const std::uint8_t>)>;

class StreamChunker {
 public:
  // CORRUPT_CHUNK: flip a byte of the N-th chunk after hashing it (1-based;
  // tests), 0 = never.
  StreamChunker(StreamReader read, std::string migrationId, std::size_t chunkBytes,
                int compressionLevel, int corruptChunk = 0);
  // The next frame, built in BUFFER (a recycled frame buffer, or empty);
  // `fileDone` marks the stream's last frame, `finished` a call after it.
  // One call at a time, from any one thread.
  OutgoingChunk next(std::vector<std::uint8_t> buffer);
  std::uint64_t bytes() const { return offset_; }
  // Of every plain byte, once the last frame is out.
  const std::string& checksum() const { return digestHex_; }
  // Chunks sent stored, without trying to compress them.
  int storedChunks() const { return storedChunks_; }

  static constexpr int kStoredRun = 16;

 private:
  std::size_t encodePayload(std::span<const std::uint8_t> bytes, std::span<std::uint8_t> out);

  StreamReader read_;
  std::string migrationId_;
  ChunkCompressor compressor_;
  std::vector<std::uint8_t> plain_;
  StreamChecksum digest_;
  std::string digestHex_;
  int corruptChunk_;
  int chunks_ = 0;
  int storeNext_ = 0;  // chunks still to store before compression is tried again
  int storedChunks_ = 0;
  std::uint64_t offset_ = 0;
  bool ended_ = false;
};

class StreamAssembler {
 public:
  // MAX_BYTES: the most the stream may carry (an announced size, or a bound).
  StreamAssembler(StreamWriter write, std::string migrationId, std::size_t maxChunkBytes,
                  std::uint64_t maxBytes);
  // Checks that DATA continues the stream (its migration id, file 0, the offset
  // where the stream is, not past its end), decompresses PAYLOAD, hashes it and
  // writes it. Errors: Protocol for a frame out of order, BadInput for a corrupt
  // chunk, the writer's own. One call at a time, from any one thread.
  roam::Status add(const Data& data, std::span<const std::uint8_t> payload);
  std::uint64_t bytes() const { return offset_; }
  bool ended() const { return ended_; }
  // Once ended.
  const std::string& checksum() const { return digestHex_; }

 private:
  StreamWriter write_;
  std::string migrationId_;
  ChunkDecompressor decompressor_;
  std::vector<std::uint8_t> plain_;
  StreamChecksum digest_;
  std::string digestHex_;
  std::uint64_t maxBytes_;
  std::uint64_t offset_ = 0;
  bool ended_ = false;
};

}  // namespace roam::agent
