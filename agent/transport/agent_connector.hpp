#pragma once
// Opening a connection to another agent: TCP connect with a deadline, then the
// client side of the mutual TLS handshake.

#include <chrono>
#include <string>
#include <variant>

#include "agent/transport/asio_types.hpp"
#include "agent/transport/framed_stream.hpp"

namespace roam::agent {

awaitable<std::variant<FramedStreamPtr, std::string>> connectToAgent(asio::ssl::context& tls,
                                                                     const std::string& address,
                                                                     std::chrono::seconds timeout);

// The server side of a handshake with a deadline; "" or why it failed.
awaitable<std::string> acceptHandshake(FramedStream& stream, std::chrono::seconds timeout);

}  // namespace roam::agent
