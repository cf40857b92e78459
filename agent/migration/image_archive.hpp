#pragma once
// Reading a `docker save` archive on disk: its index (manifest.json and the image
// config), and a filtered byte stream that leaves out the layer.tar entries of
// layers the destination already has. `docker load` only opens a layer's file
// when it lacks that layer, so the filtered archive loads there unchanged.
//
// The tar reader accepts what Go's archive/tar writes: ustar (with prefix), pax
// extended headers ('x', path/size records) and GNU long names ('L'/'K'),
// octal or base-256 numbers.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace roam::agent {

struct ImageArchiveIndex {
  std::string configFile;               // "<id>.json"
  std::vector<std::string> repoTags;    // empty when the image has none
  std::vector<std::string> layerFiles;  // manifest Layers, in order ("<dir>/layer.tar")
  std::vector<std::string> diffIds;     // "sha256:..." from rootfs.diff_ids, same order
};

// Reads only the tar headers (seeking over data), then manifest.json and the
// config it names. The manifest must describe exactly one image, and its Layers
// must pair up with the config's rootfs.diff_ids.
// An error starts with the file's path.
roam::Result<ImageArchiveIndex> indexImageArchive(const std::filesystem::path& tarFile);

// Pulls the archive with the entries named in OMIT (exact names such as
// "<dir>/layer.tar"; a leading "./" is ignored on both sides) left out: their
// headers, including pax/GNU long-name headers belonging to them, and their padded
// data. Everything else is byte-identical, ending with the original end-of-archive
// blocks and whatever follows them. Memory use is bounded: data goes straight
// from the file into the caller's buffer.
class FilteredTarReader {
 public:
  FilteredTarReader(const std::filesystem::path& tarFile, std::set<std::string> omit);
  ~FilteredTarReader();
  FilteredTarReader(FilteredTarReader&&) noexcept;
  FilteredTarReader& operator=(FilteredTarReader&&) noexcept;

  // Fills OUT as far as the stream allows and returns the count; fewer than
  // out.size() only at the end. 0 means the end, or failure when error() is set
  // (the reader then stays failed): Io when the file cannot be read, BadInput
  // when it is not a tar archive. The message starts with the file's path.
  std::size_t read(std::span<std::uint8_t> out);
  const std::optional<roam::Error>& error() const { return error_; }

  struct State;  // the open file and the tar walk; defined in the .cpp

 private:
  std::unique_ptr<State> state_;
  std::optional<roam::Error> error_;
};

struct Digest {
  std::uint64_t size = 0;
  std::string checksum;  // stream_checksum.hpp
};

// Size and checksum of what FilteredTarReader would produce, in one pass.
roam::Result<Digest> digestFiltered(const std::filesystem::path& tarFile,
                                    const std::set<std::string>& omit);
// Size and checksum of a whole file.
roam::Result<Digest> digestFile(const std::filesystem::path& file);

}  // namespace roam::agent
