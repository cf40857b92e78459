#pragma once
// Protocol values shared by the tests that send, receive or decode agent
// messages (tests/agent/protocol, client, mtd): a filled-in DONE and one
// message's way through the wire encoding.

#include <cstdint>
#include <vector>

#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"

namespace roamtest {

// A successful pre-copy migration's DONE with every field but key_s set.
inline roam::agent::Done sampleDone() {
  roam::agent::Done done;
  done.migrationId = "mig-1";
  done.container = "iperf-server";
  done.source = "h2";
  done.destination = "10.0.0.4:7000";
  done.mode = "snapshot";
  done.result = "success";
  done.note = "took the fast path";
  done.bytesSent = 100;
  done.bytesTotal = 200;
  done.seconds = 1.25;
  done.freezeMs = 212.5;
  done.rounds = {{1, false, 1 << 20, 0.5}, {2, true, 4096, 0.01}};
  done.totalSeconds = 1.5;
  return done;
}

// The first frame of BYTES through a FrameDecoder, then its message; a frame
// that is malformed or incomplete comes back as an error prefixed "frame: ".
inline roam::agent::MessageResult roundTrip(const std::vector<std::uint8_t>& bytes) {
  roam::agent::FrameDecoder decoder;
  decoder.feed(bytes);
  auto frame = decoder.next();
  if (!frame && !decoder.error())
    return roam::makeError(roam::ErrorCode::Protocol, "frame: incomplete");
  if (!frame) return roam::makeError(decoder.error()->code, "frame: " + decoder.error()->message);
  return roam::agent::decodeMessage(*frame);
}

}  // namespace roamtest
