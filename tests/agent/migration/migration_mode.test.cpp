// The mode a migration runs in, from the requested mode and both hosts'
// checkpoint capabilities.

#include <catch2/catch.hpp>

#include "agent/migration/migration_mode.hpp"

using namespace roam::agent;

namespace {
const CheckpointSupport yes{true, "available"};
const CheckpointSupport noCriu{false, "criu check failed: vdso"};
const CheckpointSupport noExperimental{false, "not in experimental mode"};
}  // namespace

TEST_CASE("snapshot is always snapshot, without asking the destination", "[agent]") {
  for (const auto& source : {yes, noCriu}) {
    CHECK_FALSE(needsDestinationSupport("snapshot", source));
    auto c = chooseMode("snapshot", source, noExperimental, "h1", "h2");
    CHECK(c.mode == "snapshot");
    CHECK(c.note.empty());
    CHECK(c.error.empty());
  }
}

TEST_CASE("the destination is asked only when the source can checkpoint", "[agent]") {
  CHECK(needsDestinationSupport("auto", yes));
  CHECK(needsDestinationSupport("checkpoint", yes));
  CHECK_FALSE(needsDestinationSupport("auto", noCriu));
  CHECK_FALSE(needsDestinationSupport("checkpoint", noCriu));
}

TEST_CASE("auto uses checkpoint only when both hosts can", "[agent]") {
  auto both = chooseMode("auto", yes, yes, "h1", "h2");
  CHECK(both.mode == "checkpoint");
  CHECK(both.note.empty());
  CHECK(both.error.empty());

  auto sourceCannot = chooseMode("auto", noCriu, yes, "h1", "h2");
  CHECK(sourceCannot.mode == "snapshot");
  CHECK(sourceCannot.error.empty());
  CHECK(sourceCannot.note == "checkpoint unavailable (criu check failed: vdso); used snapshot");

  auto destinationCannot = chooseMode("auto", yes, noExperimental, "h1", "h2");
  CHECK(destinationCannot.mode == "snapshot");
  CHECK(destinationCannot.error.empty());
  CHECK(destinationCannot.note ==
        "checkpoint unavailable on the destination h2 (not in experimental mode); used snapshot");
}

TEST_CASE("checkpoint fails with the reason of the host that cannot", "[agent]") {
  auto both = chooseMode("checkpoint", yes, yes, "h1", "h2");
  CHECK(both.mode == "checkpoint");
  CHECK(both.error.empty());

  auto sourceCannot = chooseMode("checkpoint", noCriu, yes, "h1", "h2");
  CHECK(sourceCannot.mode == "checkpoint");
  CHECK(sourceCannot.error == "checkpoint mode is unavailable on h1: criu check failed: vdso");

  auto destinationCannot = chooseMode("checkpoint", yes, noExperimental, "h1", "h2");
  CHECK(destinationCannot.error ==
        "checkpoint mode is unavailable on the destination h2: not in experimental mode");
  CHECK(destinationCannot.note.empty());
}
