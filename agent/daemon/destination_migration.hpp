#pragma once
// The destination side of a migration: answer which image layers this host
// has, receive RESTART and the DATA that follows into the spool (verifying
// every file's size and SHA-256), restore the container under its name, start
// it, check it runs, and answer SUCCESS. On any failure, or if the source
// goes away first, everything created here is removed and FAILURE is sent.

#include "agent/daemon/agent.hpp"

namespace roam::agent {

// Parameters are references: callers co_await these with named locals that
// outlive them (GCC 12 mishandles class temporaries kept across co_await).
awaitable<void> answerLayers(Agent& agent, const FramedStreamPtr& stream, const Layers& request);
awaitable<void> receiveMigration(Agent& agent, const FramedStreamPtr& stream,
                                 const Restart& restart);

// Removes what a destination migration created (container, volumes, images),
// as recorded in its journal entry. Blocking. Returns what could not be removed.
std::string rollBackDestination(const std::string& dockerSocket, const JournalEntry& entry);

}  // namespace roam::agent
