#pragma once
// The source side of a migration: connect to the destination (and, when
// checkpoint mode is possible, ask whether it can restore a checkpoint),
// have it create the container (PREPARE; the image without the layers it
// already has when it lacks the image), copy the container's state in
// pre-copy rounds, freeze it for the final round, wait for SUCCESS, and only
// then remove the frozen copy here. A failure before the hand-over (the final
// round's ROUND_END) resumes the container here; after it, only the
// destination's FAILURE does (docs/protocol.md, "A migration").

#include <functional>

#include "agent/daemon/agent.hpp"

namespace roam::agent {

// Parameters are references: callers co_await this with named locals that
// outlive it (GCC 12 mishandles class temporaries kept across co_await).
awaitable<Done> runSourceMigration(Agent& agent, const Migrate& request,
                                   const std::function<void(const Progress&)>& report);

// The outcome of a handed-over migration, asked of the destination at ADDRESS
// with ABORT on a new connection: its SUCCESS or FAILURE, or nothing when it
// cannot be reached or does not answer within 10 s. The migration's own
// source asks this way after a silence, and start-up recovery after a crash.
awaitable<std::optional<Message>> askHandedOverOutcome(Agent& agent, const std::string& address,
                                                       const Abort& abort);

}  // namespace roam::agent
