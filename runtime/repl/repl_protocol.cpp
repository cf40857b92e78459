#include "runtime/repl/repl_protocol.hpp"

#include <algorithm>

#include "runtime/repl/repl_session.hpp"

namespace roam::runtime {

namespace {

nlohmann::json malformed(const std::string& why) {
  std::string text = "malformed request: " + why;
  return {{"ok", false}, {"text", text}, {"json", {{"ok", false}, {"error", text}}}};
}

}  // namespace

nlohmann::json answerReplRequest(ReplBackend& backend, const nlohmann::json& request) {
  ReplSession session(backend);
  if (request.contains("execute")) {
    if (!request["execute"].is_string()) return malformed("\"execute\" must be a string");
    ReplReply r = session.execute(request["execute"].get<std::string>());
    return {{"ok", r.ok}, {"text", r.text}, {"json", r.json}};
  }
  if (request.contains("complete")) {
    if (!request["complete"].is_string()) return malformed("\"complete\" must be a string");
    std::string line = request["complete"].get<std::string>();
    std::size_t start = line.size();
    if (request.contains("word_start")) {
      if (!request["word_start"].is_number_unsigned())
        return malformed("\"word_start\" must be a byte offset");
      start = std::min<std::size_t>(request["word_start"].get<std::size_t>(), line.size());
    }
    return {{"candidates", session.complete(line, start)}};
  }
  if (request.contains("describe")) return {{"text", backend.describe()}};
  return malformed("expected \"execute\", \"complete\" or \"describe\"");
}

}  // namespace roam::runtime
