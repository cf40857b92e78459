#include "agent/daemon/source_migration.hpp"

#include <chrono>
#include <set>

#include "agent/daemon/checkpoint_capture.hpp"
#include "agent/daemon/pending_work.hpp"
#include "agent/daemon/snapshot_capture.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/checkpoint_archive.hpp"
#include "agent/migration/container_spec.hpp"
#include "agent/migration/image_archive.hpp"
#include "agent/migration/migration_mode.hpp"
#include "agent/migration/outgoing_chunks.hpp"
#include "agent/transport/agent_connector.hpp"

namespace roam::agent {

namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json specToJson(const ContainerSpec& spec) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto& v : spec.volumes)
    volumes.push_back(
        {{"name", v.name}, {"destination", v.destination}, {"anonymous", v.anonymous}});
  return {{"name", spec.name},
          {"image", spec.image},
          {"create_body", spec.createBody},
          {"volumes", volumes}};
}

// The destination's checkpoint capability from its STATUS_REPLY; anything
// else (an ERROR, a reply without the key) counts as "cannot".
CheckpointSupport destinationSupport(const Message& message) {
  const auto* reply = std::get_if<StatusReply>(&message);
  if (!reply) return {false, "it answered STATUS with " + std::string(toString(typeOf(message)))};
  const auto& caps = reply->capabilities;
  auto flag = caps.find("checkpoint");
  if (flag == caps.end() || !flag->is_boolean())
    return {false, "its STATUS_REPLY does not say whether it can checkpoint"};
  auto reason = caps.find("checkpoint_reason");
  return {flag->get<bool>(), reason != caps.end() && reason->is_string()
                                 ? reason->get<std::string>()
                                 : "no reason given"};
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Removes what the capture left on this host (the snapshot image, the spool).
void discardCapture(const std::string& dockerSocket, const Capture& capture,
                    const std::filesystem::path& spool) {
  if (!capture.snapshotImage.empty())
    DockerClient(dockerSocket).removeImage(capture.snapshotImage, true);
  std::error_code ec;
  std::filesystem::remove_all(spool, ec);
}

}  // namespace

awaitable<Done> runSourceMigration(Agent& agent, const Migrate& request,
                                   const std::function<void(const Progress&)>& report) {
  const auto start = Clock::now();
  const auto& options = agent.options();
  const auto socket = agent.dockerSocket();
  const auto spool = agent.spoolDir(request.migrationId);

  Done done;
  done.migrationId = request.migrationId;
  done.container = request.container;
  done.source = agent.name();
  done.destination = request.destination;
  done.mode = "snapshot";

  JournalEntry entry;
  entry.migrationId = request.migrationId;
  entry.container = request.container;
  entry.peer = request.destination;
  entry.role = JournalRole::source;
  entry.mode = "snapshot";
  entry.state = "capturing";

  const CheckpointSupport here{agent.capabilities().checkpoint,
                               agent.capabilities().checkpointReason};
  const bool askDestination = needsDestinationSupport(request.mode, here);
  auto choice = chooseMode(request.mode, here, {}, agent.name(), request.destination);
  if (!askDestination && !choice.error.empty()) {
    // Refused before anything is touched: no journal entry either.
    done.mode = choice.mode;
    done.result = choice.error;
    done.seconds = secondsSince(start);
    co_return done;
  }
  if (!askDestination) done.note = choice.note;
  agent.record(entry);

  Capture capture;               // filled in step 3
  CheckpointCapture checkpoint;  // checkpoint mode only
  FramedStreamPtr peer;
  auto fail = [&](const std::string& error) -> Done {
    if (peer) peer->close();
    std::string restarted;
    if (checkpoint.stopped) {
      // The checkpoint stopped the container: it runs again before we report.
      auto problems = undoCheckpoint(socket, request.container, checkpoint.checkpointId,
                                     checkpoint.checkpointDir);
      restarted =
          problems.empty() ? " (the container was started again here)" : " (" + problems + ")";
      if (!problems.empty()) done.note += (done.note.empty() ? "" : "; ") + problems;
    }
    discardCapture(socket, capture, spool);
    done.result = error;
    done.seconds = secondsSince(start);
    entry.state = "failed";
    entry.result = error;
    entry.seconds = done.seconds;
    entry.bytesSent = done.bytesSent;
    entry.note = done.note;
    agent.record(entry);
    agent.log("migration " + request.migrationId + " failed: " + error +
              (restarted.empty() ? " (the container keeps running here)" : restarted));
    return done;
  };

  Progress progress;
  progress.migrationId = request.migrationId;

  // 1. Connect to the destination agent.
  progress.phase = "connecting";
  report(progress);
  auto connected =
      co_await connectToAgent(agent.clientTls(), request.destination, std::chrono::seconds(10));
  if (auto* error = std::get_if<std::string>(&connected)) co_return fail(*error);
  peer = std::get<FramedStreamPtr>(connected);
  // Tracked so that a shutdown past its grace period can cut this transfer.
  agent.track(peer);
  struct Untrack {
    Agent& agent;
    FramedStreamPtr stream;
    ~Untrack() { agent.untrack(stream); }
  } untrack{agent, peer};
  const std::string peerName = peer->peerName();

  // 2. The mode: checkpoint needs the destination too; ask it (STATUS)
  // before anything here changes.
  if (askDestination) {
    done.mode = choice.mode;  // what a failure from here on reports
    peer->setIdleTimeout(options.idleTimeout);
    peer->send(Status{});
    auto status = co_await peer->read();
    if (!status.message)
      co_return fail("destination " + request.destination + " did not answer STATUS" +
                     (status.error.empty() ? "" : ": " + status.error));
    choice =
        chooseMode(request.mode, here, destinationSupport(*status.message), agent.name(), peerName);
    if (!choice.error.empty()) co_return fail(choice.error);
    done.note = choice.note;
    // Capturing can be silent for longer than the idle timeout.
    peer->setIdleTimeout(std::chrono::seconds(0));
  }
  const bool useCheckpoint = choice.mode == "checkpoint";
  done.mode = choice.mode;
  entry.mode = choice.mode;

  const std::string container = request.container;
  const std::string migrationId = request.migrationId;
  if (useCheckpoint) {
    // Recorded first: from the engine's first step on, the container may be
    // stopped, and a crash must still lead to it being started again.
    entry.checkpointId = checkpointIdFor(migrationId);
    entry.state = "checkpointing";
    agent.record(entry);
    progress.phase = "checkpointing";
    report(progress);
    // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
    auto checkpointWork = [socket, container, migrationId, spool] {
      return captureCheckpoint(socket, container, migrationId, spool);
    };
    checkpoint = co_await runBlocking(agent.pool(), checkpointWork);
    if (!checkpoint.error.empty()) co_return fail(checkpoint.error);
  }

  // 3. Capture: configuration, committed changes, volumes (blocking: pool).
  progress.phase = "capturing";
  report(progress);
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto captureWork = [socket, container, migrationId, spool, useCheckpoint] {
    return captureSnapshot(socket, container, migrationId, spool, useCheckpoint);
  };
  capture = co_await runBlocking(agent.pool(), captureWork);
  entry.images = {capture.snapshotImage};
  if (!capture.error.empty()) co_return fail(capture.error);
  agent.record(entry);

  // 4. Ask the destination which layers it already has.
  peer->setIdleTimeout(options.idleTimeout);
  peer->send(Layers{request.migrationId, capture.index.diffIds});
  auto answer = co_await peer->read();
  std::set<std::string> omit;
  if (answer.message && std::holds_alternative<LayersHave>(*answer.message)) {
    const auto& have = std::get<LayersHave>(*answer.message).have;
    // Layers are shared by chain: only a common prefix can be skipped.
    for (std::size_t i = 0; i < have.size() && i < capture.index.diffIds.size(); ++i) {
      if (have[i] != capture.index.diffIds[i]) break;
      omit.insert(capture.index.layerFiles[i]);
    }
  } else {
    peer->close();
    co_return fail("destination " + request.destination + " did not answer LAYERS" +
                   (answer.error.empty() ? "" : ": " + answer.error));
  }

  // 5. Describe the files (sizes and SHA-256 of exactly the bytes sent).
  std::vector<OutgoingFile> files;
  files.push_back({FileEntry{"image.tar", "image", "", 0, ""}, capture.imageArchive, omit});
  if (useCheckpoint)
    files.push_back({FileEntry{kCheckpointFileName, "checkpoint", checkpoint.checkpointId, 0, ""},
                     checkpoint.archive,
                     {}});
  for (std::size_t i = 0; i < capture.volumes.size(); ++i)
    files.push_back({FileEntry{"volume-" + std::to_string(i) + ".tar", "volume",
                               capture.volumes[i].mount.name, 0, ""},
                     capture.volumes[i].archive,
                     {}});
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto digestWork = [&files]() -> std::string {
    for (auto& file : files) {
      auto digest =
          file.entry.kind == "image" ? digestFiltered(file.path, file.omit) : digestFile(file.path);
      if (!digest.error.empty()) return digest.error;
      file.entry.size = digest.size;
      file.entry.sha256 = digest.sha256;
    }
    return "";
  };
  std::string digestError = co_await runBlocking(agent.pool(), digestWork);
  if (!digestError.empty()) {
    peer->close();
    co_return fail(digestError);
  }

  Restart restart;
  restart.migrationId = request.migrationId;
  restart.container = capture.spec.name;
  restart.mode = choice.mode;
  restart.config = specToJson(capture.spec);
  restart.compression = "zstd";
  std::uint64_t total = 0;
  for (const auto& file : files) {
    restart.files.push_back(file.entry);
    total += file.entry.size;
  }
  entry.state = "sending";
  agent.record(entry);
  peer->send(restart);

  // 6. Stream the files as compressed chunks. A worker reads and compresses
  // the next chunk into a frame while this (io) thread encrypts and sends the
  // current one: the two halves each take about as long on a fast path.
  progress.phase = "sending";
  progress.bytesTotal = total;
  report(progress);
  ChunkSource chunks(files, request.migrationId, options.chunkBytes, options.compressionLevel,
                     options.testCorruptChunk);
  PendingWork<OutgoingChunk> pending;
  const auto home = peer->tls().get_executor();
  auto prepareNext = [&] {
    pending.start(agent.pool(), home, [source = &chunks, buffer = peer->takeBuffer()]() mutable {
      return source->next(std::move(buffer));
    });
  };
  std::uint64_t sent = 0;
  auto lastReport = Clock::now();
  const auto sendStart = Clock::now();
  prepareNext();
  std::string sendError;
  while (true) {
    auto chunk = co_await pending.get();
    if (!chunk.error.empty()) {
      sendError = chunk.error;
      break;
    }
    if (chunk.finished) break;
    prepareNext();
    sent += chunk.plainBytes;
    done.bytesSent += chunk.payloadBytes;
    if (!co_await peer->writeEncoded(std::move(chunk.frame))) {
      sendError = "connection to " + request.destination + " lost while sending";
      break;
    }
    if (Clock::now() - lastReport > std::chrono::milliseconds(250) || chunk.fileDone) {
      lastReport = Clock::now();
      progress.bytesSent = sent;
      progress.rateBps = 8.0 * static_cast<double>(sent) / std::max(1e-6, secondsSince(sendStart));
      report(progress);
    }
  }
  // The worker uses `chunks`: it must be done before anything here goes away.
  if (pending.running()) co_await pending.get();
  if (!sendError.empty()) {
    peer->close();
    co_return fail(sendError);
  }
  if (!co_await peer->flush())
    co_return fail("connection to " + request.destination + " lost while sending");

  // 7. Wait for the destination to restore and start it.
  progress.phase = "restoring";
  report(progress);
  // The destination sends PROGRESS while it restores; silence for the idle
  // timeout means it is gone, and the whole restore is bounded too.
  const auto restoreDeadline = Clock::now() + options.restoreTimeout;
  ReadResult reply;
  do {
    reply = co_await peer->read();
  } while (reply.message && std::holds_alternative<Progress>(*reply.message) &&
           Clock::now() < restoreDeadline);
  peer->close();
  if (reply.message && std::holds_alternative<Progress>(*reply.message))
    co_return fail("destination " + peerName + " did not finish restoring within " +
                   std::to_string(options.restoreTimeout.count()) + " s");
  if (!reply.message) {
    co_return fail(reply.closed ? "destination " + request.destination +
                                      " closed the connection before SUCCESS"
                                : "destination sent a malformed reply: " + reply.error);
  }
  if (auto* failure = std::get_if<Failure>(&*reply.message))
    co_return fail("destination " + peerName + " failed: " + failure->error);
  if (!std::holds_alternative<Success>(*reply.message))
    co_return fail("destination sent " + std::string(toString(typeOf(*reply.message))) +
                   " instead of SUCCESS");

  // 8. SUCCESS: the new copy runs; now, and only now, retire the old one.
  // The migration time (the paper's) ends here; retiring is bookkeeping.
  const double migrationSeconds = secondsSince(start);
  entry.state = "committed";
  agent.record(entry);
  progress.phase = "retiring";
  report(progress);
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto retireWork = [socket, capture]() -> std::string {
    DockerClient docker(socket);
    std::string note;
    // The new copy already serves: a short grace, then the engine kills it.
    docker.stopContainer(capture.containerId, 3);
    if (auto removed = docker.removeContainer(capture.containerId, true, true); !removed.ok())
      note = "could not remove the source copy: " + removed.error;
    for (const auto& volume : capture.volumes)
      if (!volume.mount.anonymous) docker.removeVolume(volume.mount.name, false);
    docker.removeImage(capture.snapshotImage, true);
    return note;
  };
  auto retireNote = co_await runBlocking(agent.pool(), retireWork);
  std::error_code ec;
  std::filesystem::remove_all(spool, ec);
  if (!retireNote.empty()) done.note += (done.note.empty() ? "" : "; ") + retireNote;
  done.result = "success";
  done.bytesTotal = total;
  done.seconds = migrationSeconds;
  entry.state = "done";
  entry.result = "success";
  entry.bytesSent = done.bytesSent;
  entry.seconds = done.seconds;
  entry.note = done.note;
  agent.record(entry);
  agent.log("migrated " + request.container + " to " + peerName + " (" +
            std::to_string(done.bytesSent) + " bytes on the wire, " + std::to_string(done.seconds) +
            " s)");
  co_return done;
}

}  // namespace roam::agent
