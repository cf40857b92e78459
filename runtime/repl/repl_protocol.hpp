#pragma once
// The REPL's side of the admin-socket protocol (admin_socket.hpp): answers
// {"execute"}, {"complete"} and {"describe"} requests with a ReplSession on
// `backend`. The manager passes this as its AdminServer handler.

#include <nlohmann/json.hpp>

#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

// Thread-safe when `backend` is: each request runs in a session of its own.
nlohmann::json answerReplRequest(ReplBackend& backend, const nlohmann::json& request);

}  // namespace roam::runtime
