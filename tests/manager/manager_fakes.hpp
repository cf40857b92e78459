#pragma once
// Test doubles for the manager: an agent gateway that "migrates" by moving a
// container between hosts in a table (no TLS, no Docker: the real agents are
// exercised by tests/integration/manager_e2e.py), and file helpers.

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/manager/agent_gateway.hpp"

namespace roamtest {

inline std::string sourcePath(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

inline std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class FakeAgents final : public roam::runtime::AgentGateway {
 public:
  // address -> host name, and where each container runs.
  std::map<std::string, std::string> hostAt;
  std::map<std::string, std::string> containerHost;
  std::vector<roam::agent::Migrate> requests;  // every MIGRATE received
  std::string failWith;                        // non-empty: DONE says failure
  bool hold = false;                           // block migrations until release()

  void release() {
    std::lock_guard lock(mutex_);
    hold = false;
    changed_.notify_all();
  }
  std::size_t requestCount() {
    std::lock_guard lock(mutex_);
    return requests.size();
  }
  // Waits until a migration is blocked inside migrate().
  bool waitHeld() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return held_ > 0; });
  }

  roam::agent::MigrateOutcome migrate(
      const std::string& sourceAddress, const roam::agent::Migrate& request,
      const std::function<void(const roam::agent::Progress&)>& onProgress,
      const std::atomic<bool>* cancel) override {
    std::unique_lock lock(mutex_);
    requests.push_back(request);
    ++held_;
    changed_.notify_all();
    while (hold && !(cancel && cancel->load()))
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    --held_;
    roam::agent::MigrateOutcome out;
    if (cancel && cancel->load()) {
      out.error = "cancelled";
      return out;
    }
    lock.unlock();
    onProgress({request.migrationId, "transfer", 50, 100, 1e6});
    lock.lock();
    roam::agent::Done done;
    done.migrationId = request.migrationId;
    done.container = request.container;
    done.source = hostAt[sourceAddress];
    done.destination = hostAt[request.destination];
    done.mode = "snapshot";
    done.bytesSent = done.bytesTotal = 100;
    done.seconds = 0.01;
    if (failWith.empty()) {
      done.result = "success";
      containerHost[request.container] = done.destination;
    } else {
      done.result = "failure";
      done.note = failWith;
    }
    out.done = done;
    return out;
  }

  roam::agent::StatusOutcome status(const std::string& address) override {
    std::lock_guard lock(mutex_);
    roam::agent::StatusReply reply;
    reply.name = hostAt[address];
    for (const auto& [name, host] : containerHost)
      if (host == reply.name)
        reply.containers.push_back({{"name", name},
                                    {"image", "roam/iperf3"},
                                    {"state", "running"},
                                    {"labels", {{"app", "iperf"}}}});
    return {reply, ""};
  }

  roam::agent::PingOutcome ping(const std::string& address) override {
    return {0.001, hostAt[address], ""};
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int held_ = 0;
};

}  // namespace roamtest
