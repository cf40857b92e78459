#include "agent/daemon/destination_migration.hpp"

#include <chrono>
#include <limits>

#include "agent/daemon/engine_steps.hpp"
#include "agent/daemon/service_address.hpp"
#include "agent/daemon/stream_transfer.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/container_spec.hpp"
#include "agent/migration/file_handle.hpp"
#include "agent/sync/tree_applier.hpp"

namespace roam::agent {

namespace {

// One destination-side migration, as explicit steps; each step's state is the
// journal's. Lives in receiveMigration's frame.
class DestinationMigration {
 public:
  DestinationMigration(Agent& agent, const FramedStreamPtr& stream, const Prepare& prepare,
                       DestinationMigrationState& state)
      : agent_(agent),
        stream_(stream),
        prepare_(prepare),
        state_(state),
        socket_(agent.dockerSocket()),
        id_(prepare.migrationId) {
    entry_.migrationId = id_;
    entry_.container = prepare.container;
    entry_.peer = stream->peerName();
    entry_.mode = prepare.mode;
    entry_.role = JournalRole::destination;
  }

  awaitable<void> run() {
    if (auto refused = refusal()) {
      const Message refusal = Failure{id_, *refused};
      co_await answer(refusal);
      co_return;
    }
    setState("preparing");
    if (auto ok = co_await ensureImage(); !ok.ok()) co_return co_await abandon(ok.error());
    if (auto ok = co_await create(); !ok.ok()) co_return co_await abandon(ok.error());
    setState("receiving");
    for (std::uint32_t round = 1;; ++round) {
      auto received = co_await receiveRound(round);
      if (!received.ok()) co_return co_await abandon(received.error());
      if (*received) break;  // the final round: committed (snapshot mode)
    }
    if (checkpointMode())
      if (auto images = co_await receiveCheckpoint(); !images.ok())
        co_return co_await abandon(images.error());
    co_await start();
  }

 private:
  // Why this PREPARE cannot be taken at all (nothing was created), or nothing.
  bool checkpointMode() const { return prepare_.mode == "checkpoint"; }

  std::optional<std::string> refusal() {
    if (checkpointMode() && !agent_.capabilities().checkpoint)
      return "checkpoint mode is not available on " + agent_.name() + ": " +
             agent_.capabilities().checkpointReason;
    auto spec = containerSpecFromJson(prepare_.config);
    if (!spec.ok()) return "PREPARE: " + spec.error().message;
    if (spec->name != prepare_.container)
      return "PREPARE names container " + prepare_.container + " but its configuration names " +
             spec->name;
    spec_ = *spec;
    return std::nullopt;
  }

  // The image: here already (or one with the same layers), or sent by the
  // source without the layers here.
  awaitable<roam::Status> ensureImage() {
    const auto socket = socket_;
    const auto image = prepare_.image;
    auto findWork = [socket, image, layers = prepare_.layers] {
      return findLocalImage(socket, image, layers);
    };
    auto local = co_await runBlocking(agent_.pool(), findWork);
    image_ = local.sameLayers;
    if (!image_.empty()) co_return roam::Status{};
    stream_->send(ImageNeeded{id_, local.prefix});
    auto next = co_await stream_->read();
    const auto* announced = next.message ? std::get_if<ImageArchive>(&*next.message) : nullptr;
    if (!announced) co_return unexpected(next, "IMAGE");

    const auto spool = agent_.spoolDir(id_);
    std::error_code ec;
    std::filesystem::create_directories(spool, ec);
    const auto file = spool / "image.tar";
    auto out = std::make_shared<FilePtr>(openFile(file, "wb"));
    if (!*out) co_return roam::Error{roam::ErrorCode::Io, "cannot write " + file.string()};
    const StreamWriter write = [out, file](std::span<const std::uint8_t> bytes) -> roam::Status {
      if (std::fwrite(bytes.data(), 1, bytes.size(), out->get()) != bytes.size())
        return roam::Error{roam::ErrorCode::Io, "cannot write " + file.string()};
      return {};
    };
    auto received = co_await receiveStream(agent_, *stream_, id_, write, announced->size);
    const bool flushed = std::fflush(out->get()) == 0;
    out->reset();
    if (!received.ok()) co_return received.error();
    if (!flushed) co_return roam::Error{roam::ErrorCode::Io, "cannot write " + file.string()};
    if (received->bytes != announced->size || received->checksum != announced->checksum)
      co_return roam::Error{roam::ErrorCode::Checksum,
                            "checksum mismatch for the image archive: " +
                                std::to_string(received->bytes) + " bytes received with checksum " +
                                received->checksum + ", " + std::to_string(announced->size) +
                                " bytes with " + announced->checksum + " announced"};
    entry_.images = {image};
    agent_.record(entry_);
    auto loadWork = [socket, file, image, name = spec_.image] {
      return loadImageFile(socket, file, image, name);
    };
    auto loaded = co_await runBlocking(agent_.pool(), loadWork);
    std::filesystem::remove_all(spool, ec);
    if (loaded.ok()) image_ = image;
    co_return loaded;
  }

  // The volumes and the container, not started; READY.
  awaitable<roam::Status> create() {
    auto createWork = [this] {
      return createDestination(socket_, spec_, image_, id_, entry_,
                               [this](const JournalEntry& e) { agent_.record(e); });
    };
    auto created = co_await runBlocking(agent_.pool(), createWork);
    if (!created.ok()) co_return created.error();
    container_ = *created;
    applier_ = std::make_unique<sync::TreeApplier>(container_.roots());
    stream_->send(Ready{id_, container_.containerId});
    co_return roam::Status{};
  }

  // ROUND, its stream straight into the new container's layer and volumes,
  // ROUND_END. True for the final round, which commits this side.
  awaitable<roam::Result<bool>> receiveRound(std::uint32_t expected) {
    auto next = co_await stream_->read();
    const auto* round = next.message ? std::get_if<Round>(&*next.message) : nullptr;
    if (!round) co_return unexpected(next, "ROUND");
    if (round->round != expected)
      co_return roam::Error{roam::ErrorCode::Protocol, "round " + std::to_string(round->round) +
                                                           " where round " +
                                                           std::to_string(expected) + " was due"};
    const bool final = round->final;
    const StreamWriter write =
        [applier = applier_.get()](std::span<const std::uint8_t> bytes) -> roam::Status {
      return applier->consume(bytes);
    };
    auto received = co_await receiveStream(agent_, *stream_, id_, write,
                                           std::numeric_limits<std::uint64_t>::max());
    if (!received.ok()) co_return received.error();
    auto end = co_await stream_->read();
    const auto* roundEnd = end.message ? std::get_if<RoundEnd>(&*end.message) : nullptr;
    if (!roundEnd) co_return unexpected(end, "ROUND_END");
    if (roundEnd->round != expected || roundEnd->bytes != received->bytes ||
        roundEnd->checksum != received->checksum)
      co_return roam::Error{roam::ErrorCode::Checksum,
                            "checksum mismatch in round " + std::to_string(expected) + ": " +
                                std::to_string(received->bytes) + " bytes received with checksum " +
                                received->checksum + ", round " + std::to_string(roundEnd->round) +
                                " of " + std::to_string(roundEnd->bytes) + " bytes with " +
                                roundEnd->checksum + " announced"};
    auto finishWork = [applier = applier_.get()]() -> roam::Status {
      return applier->finishRound();
    };
    if (auto finished = co_await runBlocking(agent_.pool(), finishWork); !finished.ok())
      co_return finished.error();
    if (!final) {
      stream_->send(RoundDone{id_, expected, received->bytes});
      co_return false;
    }
    // Snapshot mode: committed, from here the container starts whatever the
    // source does next. Checkpoint mode: the images come first.
    if (!checkpointMode()) commit();
    co_return true;
  }

  void commit() {
    state_.committed = true;
    setState("starting");
  }

  // Checkpoint mode, after the final round: the images' stream straight into
  // the new container's checkpoint directory (the only place dockerd 20.10
  // starts a checkpoint from), then CHECKPOINT, which commits.
  awaitable<roam::Status> receiveCheckpoint() {
    checkpointName_ = checkpointNameFor(id_);
    auto dirWork = [socket = socket_, id = container_.containerId, name = checkpointName_] {
      return checkpointDirOf(socket, id, name);
    };
    auto dir = co_await runBlocking(agent_.pool(), dirWork);
    if (!dir.ok()) co_return dir.error();
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec) co_return roam::Error{roam::ErrorCode::Io, "cannot create " + dir->string()};
    auto images = std::make_shared<sync::TreeApplier>(std::vector<std::filesystem::path>{*dir});
    const StreamWriter write = [images](std::span<const std::uint8_t> bytes) -> roam::Status {
      return images->consume(bytes);
    };
    auto received = co_await receiveStream(agent_, *stream_, id_, write,
                                           std::numeric_limits<std::uint64_t>::max());
    if (!received.ok()) co_return received.error();
    auto end = co_await stream_->read();
    const auto* announced = end.message ? std::get_if<Checkpoint>(&*end.message) : nullptr;
    if (!announced) co_return unexpected(end, "CHECKPOINT");
    if (announced->name != checkpointName_)
      co_return roam::Error{
          roam::ErrorCode::Protocol,
          "CHECKPOINT names " + announced->name + " where " + checkpointName_ + " was due"};
    if (announced->bytes != received->bytes || announced->checksum != received->checksum)
      co_return roam::Error{roam::ErrorCode::Checksum,
                            "checksum mismatch in the checkpoint images: " +
                                std::to_string(received->bytes) + " bytes received with checksum " +
                                received->checksum + ", " + std::to_string(announced->bytes) +
                                " bytes with " + announced->checksum + " announced"};
    auto finishWork = [images]() -> roam::Status { return images->finishRound(); };
    if (auto finished = co_await runBlocking(agent_.pool(), finishWork); !finished.ok())
      co_return finished.error();
    commit();
    co_return roam::Status{};
  }

  awaitable<void> start() {
    // The service address first: a restored socket needs it, and clients
    // hear of the move (gratuitous ARP) while the container starts. From a
    // checkpoint the address is held until the restore returned: a client's
    // segment that arrives before CRIU rebuilt its socket is dropped (the
    // client retransmits) instead of answered with a reset.
    const bool restoring = !checkpointName_.empty();
    auto claimWork = [addresses = &agent_.addresses(), spec = spec_, restoring] {
      return claimForStart(*addresses, spec, restoring);
    };
    const auto claimStart = std::chrono::steady_clock::now();
    auto claimed = co_await runBlocking(agent_.pool(), claimWork);
    if (!claimed.ok()) co_return co_await abandon(claimed.error());
    // SUCCESS reports it: the source sees only the whole wait for the outcome.
    const double redirectMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - claimStart)
            .count();
    // The hold goes as soon as the engine answers: every segment dropped
    // meanwhile costs the client a retransmission timeout.
    auto startWork = [socket = socket_, id = container_.containerId, name = spec_.name,
                      checkpoint = checkpointName_, addresses = &agent_.addresses(), spec = spec_,
                      restoring]() -> std::pair<roam::Status, std::string> {
      std::string note;
      auto started = startDestination(socket, id, name, checkpoint, [&] {
        if (restoring) endRestoreHold(*addresses, spec, note);
      });
      return {started, note};
    };
    auto [started, note] = co_await runBlocking(agent_.pool(), startWork);
    if (!note.empty()) agent_.log("migration " + id_ + ": " + note);
    if (!started.ok()) co_return co_await abandon(started.error());
    setState("succeeded");
    entry_.result = "success";
    agent_.record(entry_);
    agent_.log(logging::Event("started " + spec_.name + " from " + entry_.peer + " (" + id_ + ")")
                   .with("event", "migration_received")
                   .with("migration_id", id_)
                   .with("container", spec_.name)
                   .with("source", entry_.peer)
                   .with("destination", agent_.name()));
    const Message success = Success{id_, container_.containerId, redirectMs};
    co_await answer(success);
  }

  // Any failure: remove what was made here and answer FAILURE (the source
  // then resumes its copy).
  awaitable<void> abandon(const roam::Error& error) {
    agent_.log(logging::Event(logging::Level::error, "receiving " + prepare_.container + " (" +
                                                         id_ + ") failed: " + error.message)
                   .with("event", "migration_receive_failed")
                   .with("migration_id", id_)
                   .with("container", prepare_.container)
                   .with("source", entry_.peer)
                   .with("destination", agent_.name())
                   .with("error", error.message));
    // The service address is released before FAILURE goes out: the source
    // then announces it again.
    auto rollBack = [socket = socket_, entry = entry_, addresses = &agent_.addresses()] {
      return rollBackDestination(socket, entry, addresses);
    };
    auto problems = co_await runBlocking(agent_.pool(), rollBack);
    if (!problems.empty()) agent_.log("roll-back of " + id_ + " left: " + problems);
    std::error_code ec;
    std::filesystem::remove_all(agent_.spoolDir(id_), ec);
    entry_.state = "rolled-back";
    entry_.result = error.message;
    agent_.record(entry_);
    const Message failure = Failure{id_, error.message};
    co_await answer(failure);
    if (error.code == roam::ErrorCode::Protocol) stream_->close();
  }

  // OUTCOME is a named local of the caller: GCC 12 destroys a class temporary
  // kept across co_await twice.
  awaitable<void> answer(const Message& outcome) {
    state_.outcome = outcome;
    if (stream_->isOpen()) {
      stream_->send(outcome);
      co_await stream_->flush();
    }
  }

  roam::Error unexpected(const ReadResult& next, const std::string& wanted) {
    if (next.closed)
      return roam::Error{roam::ErrorCode::Io, "the source closed the connection before " + wanted};
    if (!next.message)
      return roam::Error{roam::ErrorCode::Protocol,
                         "malformed frame from the source: " + next.error->message};
    if (auto* abort = std::get_if<Abort>(&*next.message))
      return roam::Error{roam::ErrorCode::Refused, "the source gave up: " + abort->error};
    return roam::Error{roam::ErrorCode::Protocol, "expected " + wanted + ", got " +
                                                      std::string(toString(typeOf(*next.message)))};
  }

  void setState(const std::string& state) {
    entry_.state = state;
    agent_.record(entry_);
  }

  Agent& agent_;
  const FramedStreamPtr& stream_;
  const Prepare& prepare_;
  DestinationMigrationState& state_;
  const std::string socket_;
  const std::string id_;
  JournalEntry entry_;
  ContainerSpec spec_;
  std::string image_;  // the image here the container is created from
  DestinationContainer container_;
  std::unique_ptr<sync::TreeApplier> applier_;
  std::string checkpointName_;  // checkpoint mode: the checkpoint it starts from
};

}  // namespace

std::string rollBackDestination(const std::string& socket, const JournalEntry& entry,
                                ServiceAddresses* addresses) {
  DockerClient docker(socket);
  std::string problems;
  std::optional<std::string> address;
  if (addresses && !entry.createdContainer.empty())
    address = containerServiceAddress(socket, entry.createdContainer);
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
    if (labels.is_object() && labels.value(kMigrationIdLabel, "") == entry.migrationId)
      note(docker.removeVolume(volume, true), "volume " + volume);
  }
  // An image this migration loaded; one another container uses stays (409).
  for (const auto& image : entry.images)
    if (auto removed = docker.removeImage(image, false); !removed.ok() && removed.status != 409)
      note(removed, "image " + image);
  if (address) {
    if (auto released = addresses->release(*address, runningServiceAddresses(socket));
        !released.ok())
      problems += (problems.empty() ? "" : "; ") + released.error().message;
    // A restore from a checkpoint held it: lifted (nothing when it did not).
    if (auto unheld = addresses->unhold(*address); !unheld.ok())
      problems += (problems.empty() ? "" : "; ") + unheld.error().message;
  }
  return problems;
}

awaitable<void> receiveMigration(Agent& agent, const FramedStreamPtr& stream,
                                 const Prepare& prepare, DestinationMigrationState& state) {
  const auto& id = prepare.migrationId;
  if (auto known = agent.lookup(id)) {
    // Idempotent: a finished migration answers the same again, but only to
    // its own source about its own container (an id reused by another
    // source must not make that one retire its container).
    Message outcome = Failure{id, "migration " + id + " is already " + known->state + " here"};
    if (known->role == JournalRole::destination && known->state == "succeeded" &&
        known->peer == stream->peerName() && known->container == prepare.container)
      outcome = Success{id, known->createdContainer};
    state.outcome = outcome;
    stream->send(outcome);
    co_return;
  }
  DestinationMigration migration(agent, stream, prepare, state);
  co_await migration.run();
}

awaitable<void> answerAbort(Agent& agent, const FramedStreamPtr& stream, const Abort& abort) {
  const auto& id = abort.migrationId;
  const auto peer = stream->peerName();
  if (auto state = agent.destinationMigration(id)) {
    if (state->source != peer) {
      stream->send(Failure{id, "migration " + id + " is not " + peer + "'s"});
      co_return;
    }
    // Before the final round the migration is given up (its connection cut,
    // so it rolls back); after it, its outcome is awaited.
    if (!state->committed && state->stream) state->stream->close();
    asio::steady_timer poll(co_await asio::this_coro::executor);
    while (!state->outcome) {
      poll.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await poll.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    stream->send(*state->outcome);
    co_return;
  }
  auto known = agent.lookup(id);
  if (known && known->role == JournalRole::destination && known->peer == peer &&
      known->state == "succeeded")
    stream->send(Success{id, known->createdContainer});
  else
    stream->send(Failure{id, known ? "migration " + id + " is " + known->state + " here"
                                   : "migration " + id + " is unknown here"});
}

}  // namespace roam::agent
