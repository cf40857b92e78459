#pragma once
// The destination side of a pre-copy migration (docs/agent.md, "Migration"):
// on PREPARE, get the image (asking the source for it when it is not here),
// create the volumes and the container without starting it, answer READY;
// apply each ROUND's tree-sync stream straight into the new container's
// writable layer and volumes, checking its size and checksum; after the final
// round (the source is frozen) start the container and answer SUCCESS. On any
// failure before that, or if the source goes away first, everything created
// here is removed and FAILURE is sent. An ABORT, on the migration's
// connection or another one, gives a migration up unless its final round has
// arrived, and is answered with its outcome.

#include "agent/daemon/agent.hpp"

namespace roam::agent {

// Parameters are references: callers co_await these with named locals that
// outlive them (GCC 12 mishandles class temporaries kept across co_await).
awaitable<void> receiveMigration(Agent& agent, const FramedStreamPtr& stream,
                                 const Prepare& prepare, DestinationMigrationState& state);
awaitable<void> answerAbort(Agent& agent, const FramedStreamPtr& stream, const Abort& abort);

// Removes what a destination migration created (container, volumes, image),
// as recorded in its journal entry, and takes the container's service address
// off this host (ADDRESSES, when given) unless another running container here
// has it, and lifts the hold a restore put on it. Blocking. Returns what could
// not be removed.
std::string rollBackDestination(const std::string& dockerSocket, const JournalEntry& entry,
                                ServiceAddresses* addresses = nullptr);

}  // namespace roam::agent
