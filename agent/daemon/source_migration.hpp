#pragma once
// The source side of a migration: connect to the destination (and, when
// checkpoint mode is possible, ask whether it can restore a checkpoint),
// capture the container (in checkpoint mode: checkpoint it first), learn
// which image layers the destination already has, send RESTART and the
// files, wait for SUCCESS, and only then stop and remove the local copy. Any
// failure before SUCCESS leaves the container running here (in checkpoint
// mode, where the checkpoint stopped it, it is started again).

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
