// libFuzzer target: TreeApplier faces tree-sync streams from another host. It
// must never crash, hang, leak or allocate without bound, and it must never
// write outside its roots, whatever the bytes and however they are split.
// The first input byte picks the split; the rest is one round's stream.

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include "agent/sync/tree_applier.hpp"

namespace {

namespace fs = std::filesystem;

// BASE/outside/sentinel must stay as it is; BASE/r0 and BASE/r1 are the roots,
// emptied before each input. A symlink r0/out points at BASE/outside.
struct Sandbox {
  fs::path base, r0, r1, outside;
  Sandbox() {
    std::string pattern = (fs::temp_directory_path() / "roam-tree-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    base = pattern;
    r0 = base / "r0";
    r1 = base / "r1";
    outside = base / "outside";
    fs::create_directory(outside);
    std::FILE* f = std::fopen((outside / "sentinel").c_str(), "w");
    if (f == nullptr) std::abort();
    std::fputs("sentinel", f);
    std::fclose(f);
  }
  void reset() {
    std::error_code ec;
    fs::remove_all(r0, ec);
    fs::remove_all(r1, ec);
    fs::create_directory(r0);
    fs::create_directory(r1);
    fs::create_directory_symlink(outside, r0 / "out");
  }
  void checkOutside() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(outside)) {
      (void)e;
      ++n;
    }
    if (n != 1 || fs::file_size(outside / "sentinel") != 8) std::abort();
    for (const auto& e : fs::directory_iterator(base)) {
      auto name = e.path().filename().string();
      if (name != "r0" && name != "r1" && name != "outside") std::abort();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Sandbox box;
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  box.reset();
  roam::agent::sync::TreeApplier applier({box.r0, box.r1});
  bool ok = true;
  for (std::size_t at = 0; at < stream.size() && ok; at += piece) {
    ok = applier.consume(stream.subspan(at, std::min(piece, stream.size() - at))).ok();
  }
  if (ok) (void)applier.finishRound();
  box.checkOutside();
  return 0;
}
