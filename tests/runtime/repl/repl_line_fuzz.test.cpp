// The REPL-line fuzz target (fuzz/repl_line_fuzz.cpp) on its seed corpus
// (tests/corpus/repl-lines), in the ordinary unit-test build: its seeds run
// clean here and under the sanitizer build, without clang or libFuzzer.

#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "fuzz/repl_line_fuzz.cpp"  // NOLINT: the target itself, not a copy

TEST_CASE("the REPL-line fuzz target runs its seed corpus clean", "[repl]") {
  const std::filesystem::path seeds =
      std::filesystem::path(ROAM_SOURCE_DIR) / "tests/corpus/repl-lines";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path().string());
    CHECK(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                 bytes.size()) == 0);
    ++n;
  }
  CHECK(n >= 5);
}
