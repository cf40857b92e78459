#pragma once
// The source's side of the transfer off the io thread: turns the files of a
// migration into encoded DATA frames, one per call. Each call reads the next
// chunk of the current file and compresses it straight into the frame buffer,
// so a worker thread prepares frame N+1 while the io thread encrypts and sends
// frame N (docs/performance.md, "Migration transfer").

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/migration/chunk_codec.hpp"
#include "agent/protocol/messages.hpp"
#include "common/result.hpp"

namespace roam::agent {

// One file of the transfer and how to read it.
struct OutgoingFile {
  FileEntry entry;
  std::filesystem::path path;
  std::set<std::string> omit;  // image layers the destination has (image file only)
};

// One DATA frame ready for the wire, or the end of the files, or an error.
struct OutgoingChunk {
  std::vector<std::uint8_t> frame;  // the encoded frame
  std::uint64_t plainBytes = 0;     // file bytes it carries
  std::uint64_t payloadBytes = 0;   // its (compressed) payload
  bool fileDone = false;            // it is its file's last chunk
  bool finished = false;            // no frame: every file has been sent
  roam::Status outcome;             // no frame when it failed: reading failed (Io)
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

class OutgoingReader;

class ChunkSource {
 public:
  // CORRUPT_CHUNK: flip a byte of the N-th chunk (1-based; tests), 0 = never.
  ChunkSource(std::vector<OutgoingFile> files, std::string migrationId, std::size_t chunkBytes,
              int compressionLevel, int corruptChunk = 0);
  ~ChunkSource();
  ChunkSource(const ChunkSource&) = delete;
  ChunkSource& operator=(const ChunkSource&) = delete;

  // The next frame, built in BUFFER (a recycled frame buffer, or empty). Files
  // go in order, each as chunks of increasing offset ending with `last` (an
  // empty file is one empty chunk). One call at a time, from any one thread.
  OutgoingChunk next(std::vector<std::uint8_t> buffer);

 private:
  std::vector<OutgoingFile> files_;
  std::string migrationId_;
  ChunkCompressor compressor_;
  std::vector<std::uint8_t> plain_;  // the chunk as read, reused
  int corruptChunk_;
  int chunks_ = 0;
  std::uint32_t index_ = 0;  // the file being sent
  std::uint64_t offset_ = 0;
  std::unique_ptr<OutgoingReader> reader_;
};

}  // namespace roam::agent
