#pragma once
// Opening a connection to another agent: TCP connect with a deadline, then the
// client side of the mutual TLS handshake.

#include <chrono>
#include <string>

#include "agent/transport/asio_types.hpp"
#include "agent/transport/framed_stream.hpp"
#include "common/result.hpp"

namespace roam::agent {

// The connected stream, or why there is none: BadInput (not HOST:PORT),
// Connect (resolving, connecting), Timeout (TIMEOUT passed), Tls (the handshake).
awaitable<roam::Result<FramedStreamPtr>> connectToAgent(asio::ssl::context& tls,
                                                        const std::string& address,
                                                        std::chrono::seconds timeout);

// The server side of a handshake with a deadline: Timeout, or Tls with the reason.
awaitable<roam::Status> acceptHandshake(FramedStream& stream, std::chrono::seconds timeout);

}  // namespace roam::agent
