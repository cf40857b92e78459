#pragma once
// Per-chunk zstd compression for the transfer stream. Every chunk is one
// independent zstd frame that records its decompressed size, so the receiver can
// bound its allocation before decompressing and a lost or reordered chunk never
// poisons the ones after it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace roam::agent {

class ChunkCompressor {
 public:
  explicit ChunkCompressor(int level = 1);

  // One zstd frame holding BYTES (content size included). The context is reused
  // across calls, which saves re-allocating its tables per chunk.
  std::vector<std::uint8_t> compress(std::span<const std::uint8_t> bytes);
  // The same frame written into OUT, which must hold at least bound(bytes.size())
  // bytes; returns the frame's size. Lets the sender compress straight into the
  // buffer that goes on the wire instead of copying the result once more.
  std::size_t compressInto(std::span<const std::uint8_t> bytes, std::span<std::uint8_t> out);
  // A zstd frame of BYTES stored as raw blocks, without trying to compress
  // them: for data that does not compress (zstd's fastest level still spends
  // half a second per GiB finding that out). Any zstd decoder reads it; OUT
  // must hold bound(bytes.size()) bytes; returns the frame's size.
  static std::size_t storeInto(std::span<const std::uint8_t> bytes, std::span<std::uint8_t> out);
  // The largest frame compressInto() or storeInto() can produce for SIZE input bytes.
  static std::size_t bound(std::size_t size);

 private:
  struct CCtxDeleter {
    void operator()(ZSTD_CCtx_s* ctx) const;
  };
  std::unique_ptr<ZSTD_CCtx_s, CCtxDeleter> ctx_;
};

class ChunkDecompressor {
 public:
  explicit ChunkDecompressor(std::size_t maxChunkBytes);

  // Decodes exactly one frame. Rejects a frame that does not declare its content
  // size or declares more than maxChunkBytes, a corrupt frame, and trailing bytes
  // after the frame; the output is allocated only after the size check.
  roam::Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> frame);
  // The same, into OUT (resized to the content; its capacity is reused across
  // chunks, so a stream of chunks allocates once); emptied on error.
  roam::Status decompressInto(std::span<const std::uint8_t> frame, std::vector<std::uint8_t>& out);

 private:
  struct DCtxDeleter {
    void operator()(ZSTD_DCtx_s* ctx) const;
  };
  std::size_t maxChunkBytes_;
  std::unique_ptr<ZSTD_DCtx_s, DCtxDeleter> ctx_;
};

}  // namespace roam::agent
