// The REPL's input: entries that continue while brackets are open, Ctrl-C's
// cancel, and errors relocated to the physical line of piped input; driven
// with input lines through the same pieces `roam repl` uses.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/repl/offline_backend.hpp"
#include "runtime/repl/repl_input.hpp"
#include "runtime/repl/repl_session.hpp"

namespace {

using roam::runtime::EntryReader;
using roam::runtime::ReplReply;

std::unique_ptr<roam::runtime::ReplBackend> paperBackend() {
  roam::runtime::PolicySource policy;
  policy.file = std::string(ROAM_SOURCE_DIR) + "/policies/load-balancing/bandwidth.policy";
  auto made = roam::runtime::makeStateBackend(
      std::string(ROAM_SOURCE_DIR) + "/examples/states/paper-heterogeneous.json", policy);
  REQUIRE(made.ok());
  return std::move(*made);
}

// What `roam repl` does with piped lines: each complete entry runs, its
// errors relocated to the input's lines.
struct Piped {
  std::unique_ptr<roam::runtime::ReplBackend> backend = paperBackend();
  roam::runtime::ReplSession session{*backend};
  EntryReader reader;
  std::vector<ReplReply> replies;
  std::vector<std::string> entries;

  void feed(const std::vector<std::string>& lines) {
    for (const auto& l : lines)
      if (reader.add(l)) run();
    if (reader.pending()) run();
  }
  void run() {
    entries.push_back(reader.take());
    ReplReply r = session.execute(entries.back());
    roam::runtime::relocateReply(r, reader.firstLine());
    replies.push_back(std::move(r));
  }
};

}  // namespace

TEST_CASE("an entry continues while brackets are open", "[repl]") {
  EntryReader r;
  CHECK_FALSE(r.add("count({h in hosts"));
  CHECK(r.pending());
  CHECK_FALSE(r.add("  where host_bandwidth(h) > 1Mbps"));
  CHECK(r.add("})"));
  CHECK(r.firstLine() == 1);
  CHECK(r.take() == "count({h in hosts\n  where host_bandwidth(h) > 1Mbps\n})");
  CHECK_FALSE(r.pending());
  CHECK(r.add("hosts"));
  CHECK(r.firstLine() == 4);
  CHECK(r.take() == "hosts");
  CHECK(r.linesRead() == 4);
}

TEST_CASE("brackets in strings and comments do not count", "[repl]") {
  using roam::runtime::bracketDepth;
  CHECK(bracketDepth("count(hosts)") == 0);
  CHECK(bracketDepth("f(\"(\"") == 1);
  CHECK(bracketDepth("f(\"a\\\"(\")") == 0);  // an escaped quote does not end the string
  CHECK(bracketDepth("[1, 2  # ]])") == 1);
  CHECK(bracketDepth("{\n# {\n}") == 0);
  CHECK(bracketDepth(")") == -1);

  EntryReader r;
  CHECK(r.add("host_bandwidth(\"h(\")"));
  r.take();
  CHECK(r.add("count(hosts) # (unclosed in a comment"));
  r.take();
  // A string does not span lines: its quote ends at the line's end.
  CHECK(r.add("\"(unterminated"));
  r.take();
}

TEST_CASE("a closer without an opener ends the entry at once", "[repl]") {
  EntryReader r;
  CHECK(r.add("hosts)"));
  CHECK(r.take() == "hosts)");
  CHECK_FALSE(r.add("count("));
  CHECK(r.add(")) + ("));  // closes one too many before opening again
  CHECK(r.take() == "count(\n)) + (");
}

TEST_CASE("cancel drops an unfinished entry but its lines still count", "[repl]") {
  EntryReader r;
  CHECK_FALSE(r.add("count("));
  CHECK_FALSE(r.add("hosts"));
  r.cancel();
  CHECK_FALSE(r.pending());
  CHECK(r.add("1 + 1"));
  CHECK(r.firstLine() == 3);
  CHECK(r.take() == "1 + 1");
}

TEST_CASE("one stray bracket cannot swallow the rest of the input", "[repl]") {
  EntryReader r;
  bool complete = r.add("(");
  std::uint32_t n = 1;
  while (!complete) {
    complete = r.add("1");
    ++n;
  }
  CHECK(n == EntryReader::kMaxEntryLines);
}

TEST_CASE("errors in piped input name the input's line", "[repl]") {
  Piped p;
  p.feed({
      "count(hosts)",        // 1
      "",                    // 2
      "count({h in hosts",   // 3
      "  where hostz(h)})",  // 4: the error
      "hops h1 hz",          // 5: a command's error
      "count(",              // 6: unfinished at the end of the input
  });
  REQUIRE(p.replies.size() == 5);
  CHECK(p.replies[0].text == "5");
  CHECK(p.replies[1].ok);  // the blank line
  const ReplReply& nested = p.replies[2];
  CHECK_FALSE(nested.ok);
  INFO(nested.text);
  CHECK(nested.text.rfind("<repl>:4:9: error: ", 0) == 0);
  CHECK(nested.text.find("\n    where hostz(h)})\n") != std::string::npos);  // quotes line 4
  CHECK(nested.json["errors"][0]["line"] == 4);
  CHECK(nested.json["errors"][0]["column"] == 9);
  CHECK(p.replies[3].text.rfind("<repl>:5:9: error: no host or switch called 'hz'", 0) == 0);
  CHECK(p.replies[4].text.rfind("<repl>:6:", 0) == 0);
  CHECK(p.replies[4].json["errors"][0]["line"] == 6);
}

TEST_CASE("an evaluation error in a later line of an entry stays in the entry", "[repl]") {
  Piped p;
  p.feed({"count(hosts)", "host_bandwidth(", "  \"h9\")"});
  REQUIRE(p.replies.size() == 2);
  INFO(p.replies[1].text);
  CHECK_FALSE(p.replies[1].ok);
  CHECK(p.replies[1].text.rfind("<repl>:", 0) == 0);
  CHECK(p.replies[1].json["errors"][0]["file"] == "<repl>");
  CHECK(p.replies[1].json["errors"][0]["line"].get<int>() >= 2);
}

TEST_CASE("an error reply's JSON: the reply's own or one made from its text", "[repl]") {
  ReplReply own;
  own.ok = false;
  own.text = "<repl>:1:1: error: x";
  own.json = {{"ok", false}, {"errors", nlohmann::json::array({{{"message", "x"}}})}};
  CHECK(roam::runtime::errorJson(own) == own.json);

  ReplReply bare;
  bare.ok = false;
  bare.text = "lost the connection";
  auto j = roam::runtime::errorJson(bare);
  CHECK(j["ok"] == false);
  CHECK(j["errors"][0]["message"] == "lost the connection");
}
