#include "agent/migration/incoming_file.hpp"

#include <cstdio>

namespace roam::agent {

StoreOutcome verifyChunk(IncomingFile& file, const Data& data,
                         std::span<const std::uint8_t> payload, ChunkDecompressor& decompressor,
                         std::vector<std::uint8_t>& plain) {
  if (file.verifiedAll)
    return roam::Error{roam::ErrorCode::Protocol,
                       "DATA for unknown or finished file " + std::to_string(data.file)};
  if (data.offset != file.verified)
    return roam::Error{roam::ErrorCode::Protocol, "DATA out of order for " + file.entry.name +
                                                      ": offset " + std::to_string(data.offset) +
                                                      ", expected " +
                                                      std::to_string(file.verified)};
  if (auto done = decompressor.decompressInto(payload, plain); !done.ok())
    return roam::Error{roam::ErrorCode::BadInput,
                       "corrupt chunk of " + file.entry.name + ": " + done.error().message};
  if (file.verified + plain.size() > file.entry.size)
    return roam::Error{roam::ErrorCode::BadInput, file.entry.name + " is larger than announced"};
  file.digest.update(plain);
  file.verified += plain.size();
  if (!data.last) return {};

  auto digest = file.digest.hexDigest();
  if (file.verified != file.entry.size || digest != file.entry.sha256)
    return roam::Error{roam::ErrorCode::Checksum, "checksum mismatch for " + file.entry.name +
                                                      " (got " + std::to_string(file.verified) +
                                                      " bytes, sha256 " + digest + ")"};
  file.verifiedAll = true;
  return {};
}

StoreOutcome writeChunk(IncomingFile& file, std::span<const std::uint8_t> plain, bool last) {
  if (std::fwrite(plain.data(), 1, plain.size(), file.out.get()) != plain.size() ||
      (last && std::fflush(file.out.get()) != 0))
    return roam::Error{roam::ErrorCode::Io, "cannot write " + file.path.string() + " (disk full?)"};
  if (last) {
    file.out.reset();
    file.complete = true;
  }
  return {};
}

}  // namespace roam::agent
