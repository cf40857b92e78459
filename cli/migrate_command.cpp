// `roam migrate`, `roam ping`, `roam status`: a client of the agents, doing by
// hand what the manager does: send MIGRATE to the source agent and follow it.

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "agent/client/agent_request.hpp"
#include "agent/transport/host_port.hpp"
#include "cli/commands.hpp"
#include "common/freeze_split_json.hpp"

namespace roam::cli {

namespace {

struct ClientArgs {
  std::string certs;
  std::string identity = "cli";
};

struct MigrateArgs {
  ClientArgs client;
  std::string container;
  std::string source;
  std::string destination;
  std::string mode = "auto";
  std::string id;
  bool json = false;
};

std::string humanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

// One line, redrawn in place: phase, bar, bytes, rate.
void drawProgress(const agent::Progress& progress) {
  constexpr int width = 30;
  double fraction =
      progress.bytesTotal > 0 ? static_cast<double>(progress.bytesSent) / progress.bytesTotal : 0.0;
  int filled = static_cast<int>(std::lround(fraction * width));
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%-10s [%s] %5.1f%% %s / %s %.1f Mbit/s   ", progress.phase.c_str(),
               bar.c_str(), 100 * fraction, humanBytes(progress.bytesSent).c_str(),
               humanBytes(progress.bytesTotal).c_str(), progress.rateBps / 1e6);
  std::fflush(stderr);
}

bool checkAddress(const CommandLine& line, const std::string& flag, const std::string& value) {
  auto parsed = agent::parseHostPort(value);
  if (!parsed.ok()) {
    commandLineError(line, line.find(value) >= 0 ? line.find(value) : line.find(flag),
                     flag + ": " + parsed.error().message);
    return false;
  }
  return true;
}

int runMigrate(const MigrateArgs& args, const CommandLine& line) {
  if (!checkAddress(line, "--source", args.source) ||
      !checkAddress(line, "--destination", args.destination))
    return 2;
  agent::Migrate request;
  request.migrationId = args.id.empty() ? agent::newMigrationId() : args.id;
  request.container = args.container;
  request.destination = args.destination;
  request.mode = args.mode;

  const bool showBar = !args.json && isatty(STDERR_FILENO);
  bool drew = false;
  // Phase changes as seen here: the transfer is from the first phase that
  // moves bytes ("image" or "precopy") until the destination serves
  // (benchmarks compare it with raw TCP).
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> sendingSince, sendingUntil;
  auto outcome = agent::requestMigration(
      {args.client.certs, args.client.identity}, args.source, request,
      [&](const agent::Progress& progress) {
        const bool moving = progress.phase == "image" || progress.phase == "precopy";
        if (moving && !sendingSince) sendingSince = Clock::now();
        if (progress.phase == "serving" && sendingSince && !sendingUntil)
          sendingUntil = Clock::now();
        if (!showBar) return;
        drawProgress(progress);
        drew = true;
      });
  if (drew) std::fputs("\n", stderr);

  nlohmann::json result = {{"migration_id", request.migrationId},
                           {"container", request.container},
                           {"source", args.source},
                           {"destination", args.destination},
                           {"mode", request.mode},
                           {"bytes_sent", 0},
                           {"bytes_total", 0},
                           {"seconds", 0.0}};
  bool success = false;
  if (outcome.ok()) {
    const auto& done = outcome->done;
    result["mode"] = done.mode;
    result["bytes_sent"] = done.bytesSent;
    result["bytes_total"] = done.bytesTotal;
    result["seconds"] = done.seconds;
    if (done.freezeMs > 0) result["freeze_ms"] = done.freezeMs;
    if (done.totalSeconds > 0) result["total_s"] = done.totalSeconds;
    // The freeze, split: CRIU's dump, the final delta and the images on the
    // wire, the restore on the destination, the service address's move to
    // it; and the process memory moved.
    addFreezeSplitJson(result, {.mode = done.mode,
                                .freezeMs = done.freezeMs,
                                .dumpMs = done.dumpMs,
                                .transferMs = done.transferMs,
                                .restoreMs = done.restoreMs,
                                .redirectMs = done.redirectMs,
                                .memoryBytes = done.memoryBytes});
    if (!done.rounds.empty()) result["rounds"] = agent::roundsToJson(done.rounds);
    if (sendingSince && sendingUntil)
      result["transfer_seconds"] =
          std::chrono::duration<double>(*sendingUntil - *sendingSince).count();
    result["result"] = done.result;
    if (!done.note.empty()) result["note"] = done.note;
    success = done.result == "success";
  } else {
    result["result"] = outcome.error().message;
  }
  if (args.json) {
    std::cout << result.dump() << "\n";
  } else if (success) {
    std::printf("migrated %s from %s to %s in %.2f s (%s mode, %s on the wire for %s of state)\n",
                request.container.c_str(), args.source.c_str(), args.destination.c_str(),
                result["seconds"].get<double>(), result["mode"].get<std::string>().c_str(),
                humanBytes(result["bytes_sent"].get<double>()).c_str(),
                humanBytes(result["bytes_total"].get<double>()).c_str());
    if (result.contains("freeze_ms"))
      std::printf(
          "frozen for %.0f ms after %zu pre-copy round(s); the source copy was gone after "
          "%.2f s\n",
          result["freeze_ms"].get<double>(), result["rounds"].size() - 1,
          result.value("total_s", 0.0));
    if (result.contains("freeze_split_ms"))
      std::printf(
          "freeze: dump %.0f ms, transfer %.0f ms, restore %.0f ms, redirect %.0f ms; %s of "
          "process memory\n",
          result["freeze_split_ms"]["dump"].get<double>(),
          result["freeze_split_ms"]["transfer"].get<double>(),
          result["freeze_split_ms"]["restore"].get<double>(),
          result["freeze_split_ms"]["redirect"].get<double>(),
          humanBytes(result["memory_bytes"].get<double>()).c_str());
    if (result.contains("note"))
      std::printf("note: %s\n", result["note"].get<std::string>().c_str());
  } else {
    std::fprintf(stderr, "roam migrate: error: %s\n", result["result"].get<std::string>().c_str());
  }
  return success ? 0 : 1;
}

void addClientOptions(CLI::App* cmd, ClientArgs& args) {
  cmd->add_option("--certs", args.certs, "directory with ca.crt and this client's certificate")
      ->required();
  cmd->add_option("--identity", args.identity,
                  "whose certificate to present: NAME.crt/NAME.key in --certs (default cli)");
}

}  // namespace

Command addMigrateCommand(CLI::App& app, const CommandLine& line) {
  auto args = std::make_shared<MigrateArgs>();
  auto* cmd = app.add_subcommand("migrate", "Ask a source agent to migrate a container");
  cmd->add_option("container", args->container, "the container's name")->required();
  cmd->add_option("--source", args->source, "source agent ADDR:PORT")->required();
  cmd->add_option("--destination", args->destination, "destination agent ADDR:PORT")->required();
  addClientOptions(cmd, args->client);
  cmd->add_option("--mode", args->mode, "auto (default), snapshot or checkpoint")
      ->check(CLI::IsMember({"auto", "snapshot", "checkpoint"}));
  cmd->add_option("--id", args->id,
                  "migration id (default: a fresh one); repeat it to retry safely");
  cmd->add_flag("--json", args->json, "print one JSON object with the result");
  return {cmd, [args, &line] { return runMigrate(*args, line); }};
}

Command addPingCommand(CLI::App& app, const CommandLine& line) {
  struct PingArgs {
    ClientArgs client;
    std::string address;
    int count = 3;
    bool json = false;
  };
  auto args = std::make_shared<PingArgs>();
  auto* cmd = app.add_subcommand("ping", "Measure the round-trip time to an agent (PING/PONG)");
  cmd->add_option("address", args->address, "agent ADDR:PORT")->required();
  addClientOptions(cmd, args->client);
  cmd->add_option("--count", args->count, "how many PINGs (default 3)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", args->json, "print one JSON object");
  return {cmd, [args, &line] {
            if (!checkAddress(line, "address", args->address)) return 2;
            std::vector<double> rtts;
            std::string peer;
            for (int i = 0; i < args->count; ++i) {
              auto outcome =
                  agent::pingAgent({args->client.certs, args->client.identity}, args->address);
              if (!outcome.ok()) {
                std::fprintf(stderr, "roam ping: error: %s\n", outcome.error().message.c_str());
                return 1;
              }
              peer = outcome->peerName;
              rtts.push_back(outcome->roundTripSeconds);
            }
            double best = *std::min_element(rtts.begin(), rtts.end());
            if (args->json) {
              std::cout << nlohmann::json{{"agent", peer},
                                          {"address", args->address},
                                          {"rtt_s", rtts},
                                          {"min_rtt_s", best}}
                               .dump()
                        << "\n";
            } else {
              for (double rtt : rtts)
                std::printf("PONG from %s (%s): rtt %.3f ms\n", peer.c_str(), args->address.c_str(),
                            rtt * 1e3);
            }
            return 0;
          }};
}

Command addStatusCommand(CLI::App& app, const CommandLine& line) {
  struct StatusArgs {
    ClientArgs client;
    std::string address;
  };
  auto args = std::make_shared<StatusArgs>();
  auto* cmd = app.add_subcommand(
      "status", "Ask an agent for its containers, migrations and capabilities (JSON)");
  cmd->add_option("address", args->address, "agent ADDR:PORT")->required();
  addClientOptions(cmd, args->client);
  return {cmd, [args, &line] {
            if (!checkAddress(line, "address", args->address)) return 2;
            auto outcome =
                agent::agentStatus({args->client.certs, args->client.identity}, args->address);
            if (!outcome.ok()) {
              std::fprintf(stderr, "roam status: error: %s\n", outcome.error().message.c_str());
              return 1;
            }
            const auto& s = *outcome;
            std::cout << nlohmann::json{{"name", s.name},
                                        {"containers", s.containers},
                                        {"migrations", s.migrations},
                                        {"capabilities", s.capabilities}}
                             .dump(2)
                      << "\n";
            return 0;
          }};
}

}  // namespace roam::cli
