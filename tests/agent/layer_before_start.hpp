#pragma once
// What the tests of the Docker engine write into a created container's
// writable layer before its start: the fixture engine's test
// (tests/agent/docker/engine_model.test.cpp) and the real engine's
// (tests/integration/agent/docker_client.test.cpp) do the same, and each
// checks that the container sees it.

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace roamtest {

// The content of the file "pre-start" that writeBeforeStart leaves in the layer.
inline const std::string kPreStart = "written before start\n";

// From INSPECTED, a created container's inspect body: its UpperDir, which must
// be a directory. Writes the file "pre-start" there and a character device 0:0
// at "tmp" (an overlay whiteout: it hides the image's /tmp). Returns the UpperDir.
inline std::filesystem::path writeBeforeStart(const nlohmann::json& inspected) {
  const std::filesystem::path upper =
      inspected["GraphDriver"]["Data"]["UpperDir"].get<std::string>();
  REQUIRE(std::filesystem::is_directory(upper));
  { std::ofstream(upper / "pre-start") << kPreStart; }
  REQUIRE(::mknod((upper / "tmp").c_str(), S_IFCHR | 0600, makedev(0, 0)) == 0);
  return upper;
}

}  // namespace roamtest
