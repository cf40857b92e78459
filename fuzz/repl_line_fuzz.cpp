// libFuzzer target: REPL input. The bytes are piped input: physical lines go
// through EntryReader (brackets continue an entry), each entry runs through
// ReplSession on a fixed in-memory network with a fixed policy (no network,
// no files), and each line is completed at every word break. Nothing may
// crash, hang, leak or throw; every reply keeps its promises (an error has
// located text and a JSON error object; relocation keeps the error count).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lang/memory_state.hpp"
#include "lang/synthetic_state.hpp"
#include "runtime/active_policy.hpp"
#include "runtime/repl/line_editor.hpp"
#include "runtime/repl/repl_backend.hpp"
#include "runtime/repl/repl_input.hpp"
#include "runtime/repl/repl_session.hpp"

namespace {

constexpr const char* kPolicy = R"(policy bandwidth "busiest service to the widest free path" {
  param threshold: rate = 4Mbps "overload"
  param sustain: duration = 2s "how long"
  let overloaded = {h in hosts where host_bandwidth(h) > threshold}
  when every 1s { count(overloaded) > 0 for sustain }
  which c in containers {
    require c.host in overloaded
    order by host_rx_bandwidth(c.host) desc
    limit 1
  }
  where h in free_hosts() {
    maximize path_bandwidth(source, h)
    tie random
  }
}
)";

// The fixed network and policy; offline answers for the rest.
class FuzzBackend final : public roam::runtime::ReplBackend {
 public:
  FuzzBackend() {
    state_ = std::make_shared<roam::lang::InMemoryState>(roam::lang::makeSyntheticNetwork(6, 3));
    auto loaded = roam::runtime::PolicySet::fromSource("fuzz.policy", kPolicy);
    if (!loaded.set) __builtin_trap();
    auto active = std::make_shared<roam::runtime::ActivePolicy>();
    active->source.file = "fuzz.policy";
    active->source.name = "bandwidth";
    active->set = std::move(loaded.set);
    auto found = active->set->find("bandwidth");
    if (!found) __builtin_trap();
    active->policy = found->policy;
    active->file = found->file;
    active->contentHash = roam::runtime::contentHash(kPolicy);
    active_ = std::move(active);
  }
  std::string describe() const override { return "fuzz"; }
  StateResult state() override { return StateResult(state_); }
  std::shared_ptr<const roam::runtime::ActivePolicy> activePolicy() override { return active_; }
  nlohmann::json recentDecisions(std::size_t) override { return nlohmann::json::array(); }
  nlohmann::json recentMigrations(std::size_t) override { return nlohmann::json::array(); }
  roam::runtime::ReplReply migrate(const std::string&, const std::string&) override {
    return {false, "needs a running manager", nullptr};
  }
  roam::runtime::ReplReply reload() override { return {false, "needs a running manager", nullptr}; }

 private:
  std::shared_ptr<const roam::lang::NetworkState> state_;
  std::shared_ptr<const roam::runtime::ActivePolicy> active_;
};

void checkReply(roam::runtime::ReplReply reply, std::uint32_t firstLine) {
  if (reply.ok) return;
  if (reply.text.empty()) __builtin_trap();
  auto json = roam::runtime::errorJson(reply);
  if (!json["errors"].is_array() || json["errors"].empty()) __builtin_trap();
  const std::size_t errors =
      reply.json.is_object() && reply.json.contains("errors") ? reply.json["errors"].size() : 0;
  roam::runtime::relocateReply(reply, firstLine);
  if (reply.ok || reply.text.empty()) __builtin_trap();
  if (errors && (!reply.json.contains("errors") || reply.json["errors"].size() != errors))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static FuzzBackend backend;
  roam::runtime::ReplSession session(backend);
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  roam::runtime::EntryReader reader;
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;

    // Completion at every word break of the line, as TAB would ask.
    for (std::size_t i = 0; i <= line.size(); ++i)
      if (i == 0 ||
          roam::runtime::LineEditor::kWordBreaks.find(line[i - 1]) != std::string_view::npos)
        for (const auto& c : session.complete(line, i))
          if (c.empty()) __builtin_trap();

    if (!reader.add(line)) continue;
    const std::uint32_t first = reader.firstLine();
    checkReply(session.execute(reader.take()), first);
  }
  if (reader.pending()) {
    const std::uint32_t first = reader.firstLine();
    checkReply(session.execute(reader.take()), first);
  }
  return 0;
}
