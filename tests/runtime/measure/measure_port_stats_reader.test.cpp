// The fast port-stats reader must decide exactly as the careful parser does:
// the same ports and counters for every answer it accepts, the same located
// error for every answer it does not. Checked on the answers recorded from
// the real os-ken app, on hand-made edge cases, and on thousands of random
// mutations of a recorded answer.

#include <catch2/catch.hpp>

#include "test_util.hpp"

#include <random>
#include <string>
#include <vector>

#include "port_stats_text.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/ryu_port_stats_reader.hpp"

using namespace roam::runtime;
using roam::test::fixture;

namespace {

// Both readers on one answer; returns the fast reader's result.
std::string agree(RyuPortStatsReader& reader, const std::string& text, Dpid dpid = 1) {
  const std::string careful = roamtest::portStatsText(parseRyuPortStats(text, dpid));
  const std::string fast = roamtest::portStatsText(reader.read(text, dpid));
  INFO("answer: " << text);
  CHECK(fast == careful);
  return fast;
}

}  // namespace

TEST_CASE("measure: the fast port-stats reader decides recorded os-ken answers itself",
          "[runtime][measure]") {
  RyuPortStatsReader reader;
  for (const char* name : {"port_1.json", "port_1_t0.json", "port_1_t1.json", "port_0x1_1.json",
                           "port_1_2.json", "port_1_ALL.json"}) {
    INFO(name);
    const std::size_t before = reader.fastReads();
    const std::string out = agree(reader, fixture("ryu/" + std::string(name)));
    CHECK(out.rfind("error", 0) != 0);
    CHECK(reader.fastReads() == before + 1);
  }
  // port_2.json is switch 2's answer.
  agree(reader, fixture("ryu/port_2.json"), 2);
}

TEST_CASE("measure: the fast port-stats reader agrees on unusual and broken answers",
          "[runtime][measure]") {
  RyuPortStatsReader reader;
  const std::string ok = R"("rx_bytes": 10, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2)";
  const std::vector<std::string> answers = {
      "",
      "   ",
      "null",
      "[]",
      "{}",
      R"({"1": null})",
      R"({"1": {}})",
      R"({"1": []})",
      R"({"2": []})",
      R"({"1": [1]})",
      R"({"1": [{}]})",
      // counters written as floats, strings, negatives, too large
      R"({"1": [{"port_no": 1, "rx_bytes": 9.76e+08, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": "10", "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": -1, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": 1.5, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": 18446744073709551615, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": 18446744073709551616, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": 1e400, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      R"({"1": [{"port_no": 1, "rx_bytes": -0, "tx_bytes": 20, "rx_packets": 1, "tx_packets": 2}]})",
      // port numbers: names, strings, reserved, zero, negative, float
      R"({"1": [{"port_no": "LOCAL", )" + ok + "}]}",
      R"({"1": [{"port_no": "local", )" + ok + "}]}",
      R"({"1": [{"port_no": "7", )" + ok + "}]}",
      R"({"1": [{"port_no": "x7", )" + ok + "}]}",
      R"({"1": [{"port_no": 4294967294, )" + ok + "}]}",
      R"({"1": [{"port_no": 0, )" + ok + "}]}",
      R"({"1": [{"port_no": -3, )" + ok + "}]}",
      R"({"1": [{"port_no": 3.0, )" + ok + "}]}",
      R"({"1": [{"port_no": null, )" + ok + "}]}",
      R"({"1": [{)" + ok + "}]}",
      // durations
      R"({"1": [{"port_no": 1, "duration_sec": 5, "duration_nsec": 5e+08, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "duration_sec": 5, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "duration_nsec": 5, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "duration_sec": 5, "duration_nsec": 1e9, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "duration_sec": 5, "duration_nsec": "5", )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "duration_sec": -5, )" + ok + "}]}",
      // duplicates: of a field, of the switch's key
      R"({"1": [{"port_no": 1, "port_no": 2, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "rx_bytes": 99, )" + ok + "}]}",
      R"({"1": [], "1": [{"port_no": 1, )" + ok + "}]})",
      R"({"1": [{"port_no": 1, )" + ok + R"(}], "2": 7})",
      // fields the collector does not read, of every kind
      R"({"1": [{"port_no": 1, "x": {"y": [1, true, null]}, "z": "\u00e9\n", )" + ok + "}]}",
      // malformed JSON
      R"({"1": [{"port_no": 1, )" + ok + "}]} x",
      R"({"1": [{"port_no": 1, )" + ok + "}]} {}",
      R"({"1": [{"port_no": 1, )" + ok + "}]",
      R"({"1": [{"port_no": 1, )" + ok + ",}]}",
      R"({"1": [{"port_no": 1, "n": 01, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "n": tru, )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "n": "\ud800", )" + ok + "}]}",
      R"({"1": [{"port_no": 1, "n": "\x", )" + ok + "}]}",
      std::string(R"({"1": [{"port_no": 1, "n": "a)") + '\x01' + R"(b", )" + ok + "}]}",
      std::string(R"({"1": [{"port_no": 1, "n": "a)") + '\xff' + R"(b", )" + ok + "}]}",
      std::string(R"({"1": [{"port_no": 1, )") + ok + "}]}" + '\0',
  };
  for (const auto& a : answers) agree(reader, a);
}

TEST_CASE("measure: the fast port-stats reader agrees on random mutations of an answer",
          "[runtime][measure]") {
  RyuPortStatsReader reader;
  const std::string base = fixture("ryu/port_1.json");
  // Bytes that change a JSON document's meaning most often.
  const std::string alphabet = "{}[],:\"\\-+.0123456789eEtrufalsn \x01\xc3\xa9";
  std::mt19937 random(20261205);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = random() % text.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1);
      }
    }
    if (agree(reader, text).rfind("error", 0) != 0) ++accepted;
  }
  // Both kinds must have been exercised: mutations inside unread fields
  // leave valid answers, most others break them.
  CHECK(accepted > 100);
  CHECK(accepted < 2900);
}
