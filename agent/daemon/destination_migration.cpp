#include "agent/daemon/destination_migration.hpp"

#include <array>

#include "agent/daemon/container_restore.hpp"
#include "agent/daemon/pending_work.hpp"
#include "agent/daemon/snapshot_capture.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/container_spec.hpp"
#include "agent/migration/file_handle.hpp"
#include "agent/migration/incoming_file.hpp"

namespace roam::agent {

namespace {

std::optional<ContainerSpec> specFromJson(const nlohmann::json& config, std::string& error) {
  try {
    ContainerSpec spec;
    spec.name = config.at("name").get<std::string>();
    spec.image = config.at("image").get<std::string>();
    spec.createBody = config.at("create_body");
    if (!spec.createBody.is_object()) throw std::runtime_error("create_body must be an object");
    for (const auto& v : config.at("volumes"))
      spec.volumes.push_back(VolumeMount{v.at("name").get<std::string>(),
                                         v.at("destination").get<std::string>(),
                                         v.at("anonymous").get<bool>()});
    return spec;
  } catch (const std::exception& e) {
    error = std::string("invalid container configuration in RESTART: ") + e.what();
    return std::nullopt;
  }
}

// While the restore runs (loading a large image can take a while) the source
// hears a PROGRESS every two seconds, so it can tell a slow restore from a
// dead peer with its ordinary idle timeout.
awaitable<void> keepSourceInformed(FramedStreamPtr stream, std::string migrationId,
                                   std::shared_ptr<bool> active) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (*active && stream->isOpen()) {
    timer.expires_after(std::chrono::seconds(2));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (*active) stream->send(Progress{migrationId, "restoring", 0, 0, 0});
  }
}

}  // namespace

std::string rollBackDestination(const std::string& socket, const JournalEntry& entry) {
  DockerClient docker(socket);
  std::string problems;
  auto note = [&](const DockerResult& r, const std::string& what) {
    if (!r.ok() && r.status != 404)
      problems += (problems.empty() ? "" : "; ") + what + ": " + r.error().message;
  };
  if (!entry.createdContainer.empty())
    note(docker.removeContainer(entry.createdContainer, true, false),
         "container " + entry.createdContainer);
  for (const auto& volume : entry.volumes) {
    // Only volumes this migration made (labelled with its id) are ours to remove.
    auto inspect = docker.inspectVolume(volume);
    if (!inspect.ok()) continue;
    auto labels = inspect.body.value("Labels", nlohmann::json::object());
    if (labels.is_object() && labels.value("roam.migration-id", "") == entry.migrationId)
      note(docker.removeVolume(volume, true), "volume " + volume);
  }
  for (const auto& image : entry.images) note(docker.removeImage(image, true), "image " + image);
  return problems;
}

awaitable<void> answerLayers(Agent& agent, const FramedStreamPtr& stream, const Layers& request) {
  const auto socket = agent.dockerSocket();
  const auto wanted = request.layers;
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto findLayers = [socket, wanted] {
    // The longest prefix of the wanted layer list that some local image has.
    DockerClient docker(socket);
    std::vector<std::string> best;
    auto images = docker.listImages();
    if (!images.ok() || !images.body.is_array()) return best;
    for (const auto& image : images.body) {
      auto inspect = docker.inspectImage(image.value("Id", ""));
      if (!inspect.ok()) continue;
      auto layers = inspect.body.value("RootFS", nlohmann::json::object())
                        .value("Layers", nlohmann::json::array());
      std::vector<std::string> prefix;
      for (std::size_t i = 0; i < layers.size() && i < wanted.size(); ++i) {
        if (!layers[i].is_string() || layers[i].get<std::string>() != wanted[i]) break;
        prefix.push_back(wanted[i]);
      }
      if (prefix.size() > best.size()) best = prefix;
    }
    return best;
  };
  auto have = co_await runBlocking(agent.pool(), findLayers);
  stream->send(LayersHave{request.migrationId, have});
}

awaitable<void> receiveMigration(Agent& agent, const FramedStreamPtr& stream,
                                 const Restart& restart) {
  const auto id = restart.migrationId;
  auto failure = [&](const std::string& error) {
    agent.log("receiving " + restart.container + " (" + id + ") failed: " + error);
    stream->send(Failure{id, error});
  };

  if (auto known = agent.lookup(id)) {
    // Idempotent: a finished migration answers the same again, but only to
    // its own source about its own container (an id reused by another
    // source must not make that one retire its container).
    if (known->role == JournalRole::destination && known->state == "succeeded" &&
        known->peer == stream->peerName() && known->container == restart.container)
      stream->send(Success{id, known->createdContainer});
    else
      failure("migration " + id + " is already " + known->state + " here");
    co_return;
  }
  std::string specError;
  auto spec = specFromJson(restart.config, specError);
  if (!spec) {
    failure(specError);
    co_return;
  }
  if (spec->name != restart.container) {
    failure("RESTART names container " + restart.container + " but its configuration names " +
            spec->name);
    co_return;
  }
  if (auto checked = checkRestartFiles(restart.mode, restart.files); !checked.ok()) {
    failure(checked.error().message);
    co_return;
  }
  if (restart.mode == "checkpoint" && !agent.capabilities().checkpoint) {
    failure("checkpoint mode is unavailable on " + agent.name() + ": " +
            agent.capabilities().checkpointReason);
    co_return;
  }

  JournalEntry entry;
  entry.migrationId = id;
  entry.container = restart.container;
  entry.peer = stream->peerName();
  entry.mode = restart.mode;
  entry.role = JournalRole::destination;
  entry.state = "receiving";
  entry.images = {snapshotImageFor(id)};
  agent.record(entry);

  const auto spool = agent.spoolDir(id);
  std::error_code ec;
  std::filesystem::create_directories(spool, ec);
  std::vector<IncomingFile> files;
  for (const auto& file : restart.files) {
    IncomingFile incoming;
    incoming.entry = file;
    incoming.path = spool / file.name;
    incoming.out = openFile(incoming.path, "wb");
    if (!incoming.out) break;  // finish() below reports it, once
    files.push_back(std::move(incoming));
  }

  auto finish = [&](const std::string& error) -> awaitable<void> {
    files.clear();  // closes the spool files
    std::filesystem::remove_all(spool, ec);
    if (!error.empty()) {
      // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
      auto rollBack = [socket = agent.dockerSocket(), entry] {
        return rollBackDestination(socket, entry);
      };
      auto problems = co_await runBlocking(agent.pool(), rollBack);
      if (!problems.empty()) agent.log("roll-back of " + id + " left: " + problems);
      entry.state = "rolled-back";
      entry.result = error;
      agent.record(entry);
      failure(error);
    }
    co_await stream->flush();
  };

  if (files.size() != restart.files.size()) {
    co_await finish("cannot write " + (spool / restart.files[files.size()].name).string());
    co_return;
  }

  // Receive every file, in order, verifying as it arrives, in a pipeline:
  // while this (io) thread receives and decrypts chunk N, one worker verifies
  // chunk N-1 (decompress, hash) and another writes chunk N-2 to the spool. A
  // chunk's error is therefore acted on a frame or two later, which changes
  // nothing: any error fails the whole migration.
  struct Verified {
    StoreOutcome outcome;
    std::vector<std::uint8_t> payload;  // handed back to the stream for reuse
    IncomingFile* file;
    bool last;
    int slot;  // which plain buffer holds the chunk
  };
  ChunkDecompressor decompressor(agent.options().chunkBytes * 4 + (1 << 20));
  // Verify fills one while write drains the other.
  std::array<std::vector<std::uint8_t>, 2> plain;
  int slot = 0;
  PendingWork<Verified> verifying;
  PendingWork<StoreOutcome> writing;
  const auto home = stream->tls().get_executor();
  // The io thread's own view: which files have had their last chunk.
  std::vector<bool> ended(files.size(), false);
  std::size_t endedCount = 0;
  StoreOutcome failed;
  auto note = [&failed](StoreOutcome& outcome) {
    if (failed.ok()) failed = std::move(outcome);
  };
  while (true) {
    std::optional<Data> chunk;
    std::vector<std::uint8_t> payload;
    if (endedCount < files.size() && failed.ok()) {
      auto next = co_await stream->read();
      auto* data = next.message ? std::get_if<Data>(&*next.message) : nullptr;
      if (next.closed)
        failed = roam::Error{roam::ErrorCode::Io,
                             "the source closed the connection before sending everything"};
      else if (!next.message)
        failed = roam::Error{roam::ErrorCode::Protocol,
                             "malformed frame from the source: " + next.error};
      else if (!data || data->migrationId != id)
        failed = roam::Error{
            roam::ErrorCode::Protocol,
            "expected DATA for " + id + ", got " + std::string(toString(typeOf(*next.message)))};
      else if (data->file >= files.size() || ended[data->file])
        failed = roam::Error{roam::ErrorCode::Protocol,
                             "DATA for unknown or finished file " + std::to_string(data->file)};
      else {
        chunk = *data;
        payload = std::move(next.payload);
      }
    }
    // Move the pipeline on: the chunk verified meanwhile goes to the writer.
    if (verifying.running()) {
      auto verified = co_await verifying.get();
      stream->recycle(std::move(verified.payload));
      note(verified.outcome);
      if (writing.running()) {
        auto written = co_await writing.get();
        note(written);
      }
      if (failed.ok())
        writing.start(agent.pool(), home,
                      [file = verified.file, bytes = &plain[verified.slot], last = verified.last] {
                        return writeChunk(*file, *bytes, last);
                      });
    }
    if (!chunk || !failed.ok()) break;
    if (chunk->last) {
      ended[chunk->file] = true;
      ++endedCount;
    }
    verifying.start(
        agent.pool(), home,
        [file = &files[chunk->file], data = *chunk, payload = std::move(payload),
         decompressor = &decompressor, bytes = &plain[slot], slot]() mutable {
          auto outcome = verifyChunk(*file, data, payload, *decompressor, *bytes);
          return Verified{std::move(outcome), std::move(payload), file, data.last, slot};
        });
    slot ^= 1;
  }
  // The workers use `files` and the buffers: they finish before those go away.
  if (verifying.running()) {
    auto verified = co_await verifying.get();
    note(verified.outcome);
  }
  if (writing.running()) {
    auto written = co_await writing.get();
    note(written);
  }
  if (!failed.ok()) {
    co_await finish(failed.error().message);
    if (outOfOrder(failed)) stream->close();
    co_return;
  }

  // Restore, start and check (blocking: pool).
  entry.state = "restoring";
  agent.record(entry);
  stream->setIdleTimeout(std::chrono::seconds(0));
  std::string containerId;
  auto restoring = std::make_shared<bool>(true);
  asio::co_spawn(stream->tls().get_executor(), keepSourceInformed(stream, id, restoring),
                 asio::detached);
  RestoreJob job{*spec, {}, id, spool};
  for (const auto& file : files) job.files.push_back({file.entry, file.path});
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto restoreWork = [&]() {
    return restoreContainer(
        agent.dockerSocket(), job, entry, [&agent](const JournalEntry& e) { agent.record(e); },
        containerId);
  };
  auto restored = co_await runBlocking(agent.pool(), restoreWork);
  *restoring = false;
  if (!restored.ok()) {
    co_await finish(restored.error().message);
    co_return;
  }
  entry.state = "succeeded";
  entry.result = "success";
  agent.record(entry);
  agent.log("restored " + restart.container + " from " + entry.peer + " (" + id + ")");
  stream->send(Success{id, containerId});
  co_await finish("");
}

}  // namespace roam::agent
