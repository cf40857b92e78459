#include "agent/migration/chunk_codec.hpp"

#include <new>
#include <stdexcept>

#include <zstd.h>

namespace roam::agent {

void ChunkCompressor::CCtxDeleter::operator()(ZSTD_CCtx_s* ctx) const {
  ZSTD_freeCCtx(ctx);
}
void ChunkDecompressor::DCtxDeleter::operator()(ZSTD_DCtx_s* ctx) const {
  ZSTD_freeDCtx(ctx);
}

ChunkCompressor::ChunkCompressor(int level) : ctx_(ZSTD_createCCtx()) {
  if (!ctx_) throw std::bad_alloc();
  // zstd clamps an out-of-range level itself; the content size is on by default
  // but the receiver depends on it, so it is requested explicitly.
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, 0);  // the stream has its own SHA-256
}

std::vector<std::uint8_t> ChunkCompressor::compress(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> out(ZSTD_compressBound(bytes.size()));
  const std::size_t n =
      ZSTD_compress2(ctx_.get(), out.data(), out.size(), bytes.data(), bytes.size());
  // With a compressBound-sized output, compression only fails on allocation
  // failure inside zstd: not an expected outcome, and there is no error channel.
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

ChunkDecompressor::ChunkDecompressor(std::size_t maxChunkBytes)
    : maxChunkBytes_(maxChunkBytes), ctx_(ZSTD_createDCtx()) {
  if (!ctx_) throw std::bad_alloc();
}

DecompressResult ChunkDecompressor::decompress(std::span<const std::uint8_t> frame) {
  // Check the magic first: a skippable frame would otherwise pass as "content
  // size 0" and hide whatever follows it.
  if (frame.size() < 4 ||
      (std::uint32_t{frame[0]} | std::uint32_t{frame[1]} << 8 | std::uint32_t{frame[2]} << 16 |
       std::uint32_t{frame[3]} << 24) != ZSTD_MAGICNUMBER)
    return {{}, "chunk is not a zstd frame"};
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return {{}, "chunk has a corrupt zstd frame header"};
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN)
    return {{}, "chunk's zstd frame does not declare its content size"};
  if (declared > maxChunkBytes_)
    return {{},
            "chunk declares " + std::to_string(declared) + " bytes, more than the limit of " +
                std::to_string(maxChunkBytes_)};
  const std::size_t frameBytes = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frameBytes))
    return {{},
            std::string("chunk's zstd frame is corrupt or truncated: ") +
                ZSTD_getErrorName(frameBytes)};
  if (frameBytes != frame.size())
    return {{},
            "chunk has " + std::to_string(frame.size() - frameBytes) +
                " trailing bytes after its zstd frame"};

  DecompressResult result;
  result.bytes.resize(static_cast<std::size_t>(declared));
  const std::size_t n = ZSTD_decompressDCtx(ctx_.get(), result.bytes.data(), result.bytes.size(),
                                            frame.data(), frame.size());
  if (ZSTD_isError(n) || n != declared) {
    result.bytes.clear();
    result.error = ZSTD_isError(n)
                       ? std::string("chunk's zstd frame is corrupt: ") + ZSTD_getErrorName(n)
                       : "chunk decompressed to " + std::to_string(n) +
                             " bytes, not the declared " + std::to_string(declared);
  }
  return result;
}

}  // namespace roam::agent
