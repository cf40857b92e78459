#include "agent/daemon/source_migration.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "agent/daemon/engine_steps.hpp"
#include "agent/daemon/service_address.hpp"
#include "agent/daemon/stream_transfer.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/image_archive.hpp"
#include "agent/migration/migration_mode.hpp"
#include "agent/sync/tree_sender.hpp"
#include "agent/transport/agent_connector.hpp"

namespace roam::agent {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

// What a reply is, for error messages: "SUCCESS", or why there was none.
std::string describeReply(const ReadResult& reply) {
  if (reply.message) return std::string(toString(typeOf(*reply.message)));
  if (reply.closed) return "a closed connection";
  return "a malformed frame (" + reply.error->message + ")";
}

// Milliseconds as whole seconds for a stream's idle timeout, at least 1.
std::chrono::seconds ceilSeconds(Clock::duration d) {
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(d));
}

// One source-side migration, as explicit steps; each step's state is the
// journal's (docs/agent.md, "The journal"). Lives in runSourceMigration's frame.
class SourceMigration {
 public:
  SourceMigration(Agent& agent, const Migrate& request,
                  const std::function<void(const Progress&)>& report)
      : agent_(agent),
        request_(request),
        report_(report),
        socket_(agent.dockerSocket()),
        start_(Clock::now()) {
    done_.migrationId = request.migrationId;
    done_.container = request.container;
    done_.source = agent.name();
    done_.destination = request.destination;
    done_.mode = "snapshot";
    entry_.migrationId = request.migrationId;
    entry_.container = request.container;
    entry_.peer = request.destination;
    entry_.role = JournalRole::source;
    entry_.mode = "snapshot";
    progress_.migrationId = request.migrationId;
  }

  awaitable<Done> run() {
    if (auto refused = refuseEarly()) co_return *refused;
    agent_.record(entry_);
    if (auto ok = co_await connect(); !ok.ok()) co_return co_await fail(ok.error());
    if (auto ok = co_await chooseModeWithDestination(); !ok.ok())
      co_return co_await fail(ok.error());
    if (auto ok = co_await inspect(); !ok.ok()) co_return co_await fail(ok.error());
    if (auto ok = co_await prepare(); !ok.ok()) co_return co_await fail(ok.error());
    if (auto ok = co_await precopy(); !ok.ok()) co_return co_await fail(ok.error());
    if (auto ok = co_await freezeAndHandOver(); !ok.ok()) co_return co_await fail(ok.error());
    co_return co_await retire();
  }

 private:
  // ---- steps ----

  // Refused before anything is touched: no journal entry either.
  std::optional<Done> refuseEarly() {
    here_ = {agent_.capabilities().checkpoint, agent_.capabilities().checkpointReason};
    askDestination_ = needsDestinationSupport(request_.mode, here_);
    choice_ = chooseMode(request_.mode, here_, {}, agent_.name(), request_.destination);
    if (askDestination_ || choice_.ok()) {
      if (!askDestination_) done_.note = choice_.note;
      return std::nullopt;
    }
    done_.mode = choice_.mode;
    done_.result = choice_.error().message;
    done_.seconds = secondsSince(start_);
    return done_;
  }

  awaitable<roam::Status> connect() {
    phase("connecting");
    auto connected =
        co_await connectToAgent(agent_.clientTls(), request_.destination, std::chrono::seconds(10));
    if (!connected.ok()) co_return roam::Error{roam::ErrorCode::Connect, connected.error().message};
    peer_ = *connected;
    // Tracked so that a shutdown past its grace period can cut this transfer.
    agent_.track(peer_);
    peerName_ = peer_->peerName();
    peer_->setIdleTimeout(agent_.options().idleTimeout);
    co_return roam::Status{};
  }

  // Checkpoint mode needs the destination too; ask it (STATUS) before
  // anything here changes.
  awaitable<roam::Status> chooseModeWithDestination() {
    if (askDestination_) {
      done_.mode = choice_.mode;  // what a failure from here on reports
      peer_->send(Status{});
      auto status = co_await peer_->read();
      if (!status.message)
        co_return roam::Error{roam::ErrorCode::Connect,
                              "destination " + request_.destination + " did not answer STATUS" +
                                  (status.error ? ": " + status.error->message : "")};
      choice_ = chooseMode(request_.mode, here_, destinationSupport(*status.message), agent_.name(),
                           peerName_);
      if (!choice_.ok()) co_return choice_.error();
      done_.note = choice_.note;
    }
    done_.mode = entry_.mode = choice_.mode;
    checkpointMode_ = choice_.mode == "checkpoint";
    if (checkpointMode_) checkpointName_ = checkpointNameFor(request_.migrationId);
    co_return roam::Status{};
  }

  awaitable<roam::Status> inspect() {
    setState("inspecting");
    auto inspectWork = [socket = socket_, container = request_.container] {
      return inspectSource(socket, container);
    };
    auto source = co_await runBlocking(agent_.pool(), inspectWork);
    if (!source.ok()) co_return source.error();
    source_ = std::move(*source);
    sender_ = std::make_unique<sync::TreeSender>(source_.roots());
    co_return roam::Status{};
  }

  // PREPARE; the image if the destination lacks it; READY: the container is
  // created there, not started.
  awaitable<roam::Status> prepare() {
    setState("preparing");
    phase("preparing");
    Prepare prepare;
    prepare.migrationId = request_.migrationId;
    prepare.container = source_.spec.name;
    prepare.mode = choice_.mode;
    prepare.config = containerSpecToJson(source_.spec);
    prepare.image = source_.imageId;
    prepare.layers = source_.layers;
    prepare.compression = "zstd";
    peer_->send(prepare);
    auto reply = co_await readSkippingProgress();
    if (reply.message && std::holds_alternative<ImageNeeded>(*reply.message)) {
      auto sent = co_await sendImage(std::get<ImageNeeded>(*reply.message).have);
      if (!sent.ok()) co_return sent;
      reply = co_await readSkippingProgress();
    }
    if (reply.message)
      if (auto* failure = std::get_if<Failure>(&*reply.message))
        co_return destinationFailed(failure->error);
    if (!reply.message || !std::holds_alternative<Ready>(*reply.message))
      co_return roam::Error{roam::ErrorCode::Protocol,
                            "destination " + peerName_ + " answered PREPARE with " +
                                describeReply(reply) + " instead of READY"};
    destinationContainer_ = std::get<Ready>(*reply.message).containerId;
    co_return roam::Status{};
  }

  // The image, without the layers the destination has (as `docker load` allows).
  awaitable<roam::Status> sendImage(const std::vector<std::string>& have) {
    phase("image");
    const auto spool = agent_.spoolDir(request_.migrationId);
    const auto archive = spool / "image.tar";
    // Saved by id, so it loads untagged there and moves no tag (loadImageFile).
    auto saveWork = [socket = socket_, ref = source_.imageId, spool,
                     archive]() -> roam::Result<ImageArchiveIndex> {
      std::error_code ec;
      std::filesystem::create_directories(spool, ec);
      if (ec) return roam::Error{roam::ErrorCode::Io, "cannot create " + spool.string()};
      auto saved = saveImageToFile(socket, ref, archive);
      if (!saved.ok()) return saved.error();
      return indexImageArchive(archive);
    };
    auto index = co_await runBlocking(agent_.pool(), saveWork);
    if (!index.ok()) co_return index.error();
    // Layers are shared by chain: only a common prefix can be skipped.
    std::set<std::string> omit;
    for (std::size_t i = 0; i < have.size() && i < index->diffIds.size(); ++i) {
      if (have[i] != index->diffIds[i]) break;
      omit.insert(index->layerFiles[i]);
    }
    auto digestWork = [archive, omit] { return digestFiltered(archive, omit); };
    auto digest = co_await runBlocking(agent_.pool(), digestWork);
    if (!digest.ok()) co_return digest.error();
    peer_->send(ImageArchive{request_.migrationId, digest->size, digest->checksum});
    auto reader = std::make_shared<FilteredTarReader>(archive, omit);
    const StreamReader read = [reader](std::span<std::uint8_t> out) -> roam::Result<std::size_t> {
      auto n = reader->read(out);
      if (reader->error()) return *reader->error();
      return n;
    };
    const std::uint64_t total = digest->size;
    const std::function<void(std::uint64_t)> onBytes = [this, total](std::uint64_t bytes) {
      progress_.bytesSent = bytes;
      progress_.bytesTotal = total;
      report_(progress_);
    };
    auto sent = co_await sendStream(agent_, *peer_, request_.migrationId, read, onBytes);
    std::error_code ec;
    std::filesystem::remove(archive, ec);
    if (!sent.ok()) co_return sent.error();
    done_.bytesSent += sent->wireBytes;
    done_.bytesTotal += sent->plainBytes;
    co_return roam::Status{};
  }

  // Rounds while the container runs, until a round is small enough or stops
  // shrinking (or the round limit).
  awaitable<roam::Status> precopy() {
    setState("precopy");
    const auto& options = agent_.options();
    std::uint64_t previous = 0;
    for (std::uint32_t round = 1;; ++round) {
      auto sent = co_await sendRound(round, false);
      if (!sent.ok()) co_return sent;
      const auto& last = done_.rounds.back();
      // What the next round would carry is about what changed during this one.
      const double rate = static_cast<double>(last.bytes) / std::max(1e-3, last.seconds);
      const auto stopBytes = std::max<std::uint64_t>(options.precopyStopBytes,
                                                     static_cast<std::uint64_t>(rate * 0.05));
      const bool small = round > 1 && last.bytes <= stopBytes;
      const bool notShrinking = round > 2 && last.bytes * 10 >= previous * 9;
      if (small || notShrinking || static_cast<int>(round) >= options.precopyMaxRounds - 1) break;
      previous = last.bytes;
    }
    co_return roam::Status{};
  }

  // Freeze, send the last round, and hand over: from the last round's end on
  // the destination may start the container, so the source copy never runs
  // again unless the destination says it did not start (docs/agent.md).
  awaitable<roam::Status> freezeAndHandOver() {
    setState("frozen");
    phase("freezing");
    freezeStart_ = Clock::now();
    if (checkpointMode_) {
      // CRIU dumps the processes; the container stops, so its file system
      // no longer changes either.
      phase("dumping");
      frozen_ = true;  // from here a failure restores it from the checkpoint
      // The service address is held from before the dump until the copy
      // here is retired or resumed: a segment for it that arrives meanwhile
      // is dropped, never answered with a reset (CRIU's own lock covers
      // only the connections it dumps, not new ones to a listening socket).
      auto dumpWork =
          [socket = socket_, id = source_.containerId, name = checkpointName_,
           addresses = &agent_.addresses(),
           spec = source_.spec]() -> std::pair<roam::Result<std::filesystem::path>, std::string> {
        std::string note;
        holdForDump(*addresses, spec, note);
        return {checkpointSource(socket, id, name), note};
      };
      auto [dumped, holdNote] = co_await runBlocking(agent_.pool(), dumpWork);
      held_ = true;
      if (!holdNote.empty()) done_.note += (done_.note.empty() ? "" : "; ") + holdNote;
      if (!dumped.ok()) co_return dumped.error();
      checkpointDir_ = *dumped;
      // Names the lock table CRIU leaves behind (deleted when retired).
      if (auto runId = criuRunIdOf(checkpointDir_); runId.ok())
        criuRunId_ = *runId;
      else
        agent_.log("migration " + request_.migrationId + ": " + runId.error().message +
                   "; CRIU's lock table stays");
    } else {
      auto freezeWork = [socket = socket_, id = source_.containerId] {
        return freezeSource(socket, id);
      };
      if (auto frozen = co_await runBlocking(agent_.pool(), freezeWork); !frozen.ok())
        co_return frozen;
      frozen_ = true;
    }
    const auto dumped = Clock::now();
    auto last = co_await sendRound(static_cast<std::uint32_t>(done_.rounds.size() + 1), true);
    if (!last.ok()) co_return last;
    if (checkpointMode_)
      if (auto sent = co_await sendCheckpoint(); !sent.ok()) co_return sent;
    const auto transferred = Clock::now();
    // Committed (ROUND_END of the final round is out): wait for the outcome.
    const auto deadline = freezeStart_ + agent_.options().freezeTimeout;
    peer_->setIdleTimeout(ceilSeconds(deadline - Clock::now()));
    auto reply = co_await readSkippingProgress();
    if (!reply.message || (!std::holds_alternative<Success>(*reply.message) &&
                           !std::holds_alternative<Failure>(*reply.message))) {
      agent_.log("migration " + request_.migrationId + ": no outcome from " + peerName_ +
                 " within the freeze deadline (" + describeReply(reply) + "); asking it");
      const std::string why = "the source heard nothing within the freeze deadline";
      reply = co_await askOutcome(why);
    }
    if (reply.message)
      if (auto* failure = std::get_if<Failure>(&*reply.message))
        co_return destinationFailed(failure->error);
    if (!reply.message || !std::holds_alternative<Success>(*reply.message)) {
      unresolved_ = true;
      co_return roam::Error{roam::ErrorCode::Timeout,
                            "destination " + peerName_ +
                                " did not say whether it started the container; it stays frozen "
                                "here until it does (the agent asks again when it restarts)"};
    }
    const auto running = Clock::now();
    auto ms = [](Clock::duration d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    done_.freezeMs = ms(running - freezeStart_);
    // The destination's move of the service address lies inside the wait for
    // SUCCESS; it is its own part of the split, not the restore's.
    done_.redirectMs = std::get<Success>(*reply.message).redirectMs;
    if (checkpointMode_) {
      done_.dumpMs = ms(dumped - freezeStart_);
      done_.transferMs = ms(transferred - dumped);
      done_.restoreMs = std::max(0.0, ms(running - transferred) - done_.redirectMs);
    }
    // The final round lasts until the destination runs the container.
    done_.rounds.back().seconds = secondsSince(finalRoundStart_);
    done_.seconds = secondsSince(start_);
    phase("serving");  // the manager redirects traffic now
    co_return roam::Status{};
  }

  // The destination runs it: remove the frozen copy here.
  awaitable<Done> retire() {
    setState("retiring");
    phase("retiring");
    if (peer_) {
      peer_->close();
      agent_.untrack(peer_);
    }
    auto retireWork = [socket = socket_, id = source_.containerId, spec = source_.spec,
                       addresses = &agent_.addresses(), held = held_, runId = criuRunId_] {
      auto note = retireSource(socket, id, spec.volumes);
      // After the copy is gone; the hold and CRIU's lock after the address.
      releaseRetiredAddress(*addresses, socket, spec, note, held, runId);
      return note;
    };
    auto note = co_await runBlocking(agent_.pool(), retireWork);
    std::error_code ec;
    std::filesystem::remove_all(agent_.spoolDir(request_.migrationId), ec);
    if (!note.empty()) done_.note += (done_.note.empty() ? "" : "; ") + note;
    done_.result = "success";
    done_.totalSeconds = secondsSince(start_);
    finishEntry("done");
    agent_.log(logging::Event("migrated " + request_.container + " to " + peerName_ + " (" +
                              std::to_string(done_.rounds.size()) + " rounds, freeze " +
                              std::to_string(static_cast<long>(done_.freezeMs)) + " ms, " +
                              std::to_string(done_.bytesSent) + " bytes on the wire, " +
                              std::to_string(done_.totalSeconds) + " s)")
                   .with("event", "migration_done")
                   .with("migration_id", request_.migrationId)
                   .with("container", request_.container)
                   .with("source", agent_.name())
                   .with("destination", peerName_)
                   .with("mode", done_.mode)
                   .with("rounds", static_cast<long long>(done_.rounds.size()))
                   .with("freeze_ms", done_.freezeMs)
                   .with("bytes_sent", static_cast<long long>(done_.bytesSent))
                   .with("total_seconds", done_.totalSeconds));
    co_return done_;
  }

  // ---- pieces ----

  // SENDER's planned tree as one stream on the wire, progress reported
  // against ESTIMATE (the plan's upper bound); counted in DONE's bytes.
  awaitable<roam::Result<StreamSent>> sendTree(sync::TreeSender& sender, std::uint64_t estimate) {
    const StreamReader read = [&sender](std::span<std::uint8_t> out) { return sender.read(out); };
    const std::function<void(std::uint64_t)> onBytes = [this, estimate](std::uint64_t bytes) {
      progress_.bytesSent = bytes;
      progress_.bytesTotal = std::max(estimate, bytes);
      report_(progress_);
    };
    auto sent = co_await sendStream(agent_, *peer_, request_.migrationId, read, onBytes);
    if (sent.ok()) {
      done_.bytesSent += sent->wireBytes;
      done_.bytesTotal += sent->plainBytes;
    }
    co_return sent;
  }

  // One round: ROUND, the tree-sync stream, ROUND_END; a non-final round waits
  // for ROUND_DONE. The final round's ROUND_END is the hand-over: recorded first.
  awaitable<roam::Status> sendRound(std::uint32_t round, bool final) {
    const auto roundStart = Clock::now();
    if (final) finalRoundStart_ = roundStart;
    phase(final ? "final-round" : "precopy");
    auto planWork = [sender = sender_.get()] { return sender->planRound(); };
    auto plan = co_await runBlocking(agent_.pool(), planWork);
    if (!plan.ok()) co_return plan.error();
    peer_->send(Round{request_.migrationId, round, final});
    if (final && agent_.options().testHoldFrozen.count() > 0) {
      // Tests: the destination is in the final round, its delta not yet sent.
      asio::steady_timer hold(co_await asio::this_coro::executor, agent_.options().testHoldFrozen);
      boost::system::error_code ec;
      co_await hold.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    auto sent = co_await sendTree(*sender_, plan->contentBytesAtMost);
    if (!sent.ok()) co_return sent.error();
    if (final) {
      if (auto late = pastFreezeDeadline("the final round"); !late.ok()) co_return late;
      // In checkpoint mode CHECKPOINT, after the images, hands over instead.
      if (!checkpointMode_) handOver();
    }
    peer_->send(RoundEnd{request_.migrationId, round, sent->plainBytes, sent->checksum});
    done_.rounds.push_back({round, final, sent->plainBytes, 0});
    if (final) {
      if (!checkpointMode_ && !co_await peer_->flush())
        agent_.log("migration " + request_.migrationId + ": the final ROUND_END may be lost");
      co_return roam::Status{};
    }
    auto reply = co_await readSkippingProgress();
    if (reply.message)
      if (auto* failure = std::get_if<Failure>(&*reply.message))
        co_return destinationFailed(failure->error);
    const auto* doneRound = reply.message ? std::get_if<RoundDone>(&*reply.message) : nullptr;
    if (!doneRound || doneRound->round != round)
      co_return roam::Error{roam::ErrorCode::Protocol,
                            "destination " + peerName_ + " answered round " +
                                std::to_string(round) + " with " + describeReply(reply)};
    done_.rounds.back().seconds = secondsSince(roundStart);
    co_return roam::Status{};
  }

  // Checkpoint mode, after the final round: the checkpoint images as one
  // tree-sync stream, then CHECKPOINT (the hand-over).
  awaitable<roam::Status> sendCheckpoint() {
    phase("checkpoint");
    imagesSender_ =
        std::make_unique<sync::TreeSender>(std::vector<std::filesystem::path>{checkpointDir_});
    auto planWork = [sender = imagesSender_.get()] { return sender->planRound(); };
    auto plan = co_await runBlocking(agent_.pool(), planWork);
    if (!plan.ok()) co_return plan.error();
    auto sent = co_await sendTree(*imagesSender_, plan->contentBytesAtMost);
    if (!sent.ok()) co_return sent.error();
    done_.memoryBytes = plan->contentBytesAtMost;
    if (auto late = pastFreezeDeadline("sending the checkpoint"); !late.ok()) co_return late;
    handOver();
    peer_->send(
        Checkpoint{request_.migrationId, checkpointName_, sent->plainBytes, sent->checksum});
    if (!co_await peer_->flush())
      agent_.log("migration " + request_.migrationId + ": CHECKPOINT may be lost");
    co_return roam::Status{};
  }

  roam::Status pastFreezeDeadline(const std::string& what) {
    if (Clock::now() <= freezeStart_ + agent_.options().freezeTimeout) return {};
    return roam::Error{roam::ErrorCode::Timeout,
                       what + " took longer than the freeze deadline of " +
                           std::to_string(agent_.options().freezeTimeout.count()) + " ms"};
  }

  // From here the destination may start the container: recorded first.
  void handOver() {
    setState("handed-over");
    handedOver_ = true;
  }

  // The outcome of a handed-over migration: ABORT (give it up unless it is
  // committed) on the open connection or, when that is gone, on new ones,
  // until the destination answers SUCCESS or FAILURE or restoreTimeout passes.
  awaitable<ReadResult> askOutcome(const std::string& why) {
    if (peer_) {
      peer_->close();
      agent_.untrack(peer_);
    }
    const auto giveUp = Clock::now() + agent_.options().restoreTimeout;
    const Abort abort{request_.migrationId, why};
    asio::steady_timer pause(co_await asio::this_coro::executor);
    // A shutting-down agent stops asking: start-up recovery asks again.
    while (Clock::now() < giveUp && !agent_.stopping()) {
      auto outcome = co_await askHandedOverOutcome(agent_, request_.destination, abort);
      if (outcome) {
        ReadResult reply;
        reply.message = std::move(*outcome);
        co_return reply;
      }
      pause.expires_after(std::chrono::seconds(2));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    co_return ReadResult{};
  }

  awaitable<ReadResult> readSkippingProgress() {
    ReadResult reply;
    do {
      reply = co_await peer_->read();
    } while (reply.message && std::holds_alternative<Progress>(*reply.message));
    co_return reply;
  }

  roam::Error destinationFailed(const std::string& error) {
    destinationSaidFailure_ = true;
    return roam::Error{roam::ErrorCode::Engine, "destination " + peerName_ + " failed: " + error};
  }

  // Any failure: before the hand-over the destination is told to give up and
  // the copy here resumes; after it, only a FAILURE from the destination lets
  // the copy here resume (it then runs nowhere else).
  awaitable<Done> fail(const roam::Error& error) {
    std::string kept = "the container keeps running here";
    if (handedOver_ && !destinationSaidFailure_) {
      kept = "the container stays frozen here until the destination answers";
    } else {
      if (peer_ && peer_->isOpen() && !destinationSaidFailure_) {
        peer_->send(Abort{request_.migrationId, error.message});
        co_await peer_->flush();
      }
      if (frozen_) {
        // In checkpoint mode from the local checkpoint: its processes continue.
        // CRIU binds their sockets to the service address, so it is claimed
        // here first (the destination gave it up; a reconciliation may
        // have released it while the container was stopped); then the hold
        // and CRIU's lock table go (the restore normally deleted the latter).
        auto resumeWork = [socket = socket_, id = source_.containerId, name = checkpointName_,
                           addresses = &agent_.addresses(), spec = source_.spec,
                           dumped = checkpointMode_, held = held_, runId = criuRunId_] {
          std::string note;
          if (dumped) reclaimKeptAddress(*addresses, spec, note);
          auto resumed = resumeSource(socket, id, name);
          if (held) endDumpHold(*addresses, spec, runId, note);
          return std::make_pair(resumed, note);
        };
        auto [resumed, note] = co_await runBlocking(agent_.pool(), resumeWork);
        kept = resumed.ok() ? "the container was resumed here" : resumed.error().message;
        if (!resumed.ok()) done_.note += (done_.note.empty() ? "" : "; ") + resumed.error().message;
        if (!note.empty()) done_.note += (done_.note.empty() ? "" : "; ") + note;
      }
      if (destinationSaidFailure_ && !(frozen_ && checkpointMode_)) {
        // The destination may have announced the service address: take it back.
        auto reclaimWork = [addresses = &agent_.addresses(), spec = source_.spec] {
          std::string note;
          reclaimKeptAddress(*addresses, spec, note);
          return note;
        };
        auto note = co_await runBlocking(agent_.pool(), reclaimWork);
        if (!note.empty()) done_.note += (done_.note.empty() ? "" : "; ") + note;
      }
    }
    if (peer_) {
      peer_->close();
      agent_.untrack(peer_);
    }
    std::error_code ec;
    std::filesystem::remove_all(agent_.spoolDir(request_.migrationId), ec);
    done_.result = error.message;
    done_.seconds = secondsSince(start_);
    done_.totalSeconds = done_.seconds;
    if (unresolved_ || (handedOver_ && !destinationSaidFailure_)) {
      // Left "handed-over": asked again in the background (and at start-up).
      entry_.result = error.message;
      agent_.record(entry_);
      agent_.resolveHandedOverLater(entry_);
    } else {
      finishEntry("failed");
    }
    agent_.log(logging::Event(logging::Level::error, "migration " + request_.migrationId +
                                                         " failed: " + error.message + " (" + kept +
                                                         ")")
                   .with("event", "migration_failed")
                   .with("migration_id", request_.migrationId)
                   .with("container", request_.container)
                   .with("source", agent_.name())
                   .with("destination", peerName_)
                   .with("mode", request_.mode)
                   .with("error", error.message));
    co_return done_;
  }

  void setState(const std::string& state) {
    entry_.state = state;
    entry_.containerId = source_.containerId;
    agent_.record(entry_);
  }

  void finishEntry(const std::string& state) {
    entry_.state = state;
    entry_.result = done_.result;
    entry_.bytesSent = done_.bytesSent;
    entry_.seconds = done_.seconds;
    entry_.note = done_.note;
    agent_.record(entry_);
  }

  void phase(const std::string& name) {
    progress_.phase = name;
    progress_.bytesSent = progress_.bytesTotal = 0;
    progress_.rateBps = 0;
    report_(progress_);
  }

  Agent& agent_;
  const Migrate& request_;
  const std::function<void(const Progress&)>& report_;
  const std::string socket_;
  const Clock::time_point start_;
  Done done_;
  JournalEntry entry_;
  Progress progress_;
  CheckpointSupport here_;
  bool askDestination_ = false;
  ModeChoice choice_;
  FramedStreamPtr peer_;
  std::string peerName_;
  SourceContainer source_;
  std::unique_ptr<sync::TreeSender> sender_;
  bool checkpointMode_ = false;
  std::string checkpointName_;  // checkpoint mode: the engine's checkpoint
  std::filesystem::path checkpointDir_;
  std::unique_ptr<sync::TreeSender> imagesSender_;
  std::string destinationContainer_;
  Clock::time_point freezeStart_, finalRoundStart_;
  bool frozen_ = false;
  bool held_ = false;      // checkpoint mode: the service address is held here
  std::string criuRunId_;  // checkpoint mode: names the lock table CRIU's dump left
  bool handedOver_ = false;
  bool destinationSaidFailure_ = false;
  bool unresolved_ = false;
};

}  // namespace

awaitable<std::optional<Message>> askHandedOverOutcome(Agent& agent, const std::string& address,
                                                       const Abort& abort) {
  auto connected = co_await connectToAgent(agent.clientTls(), address, std::chrono::seconds(5));
  if (!connected.ok()) co_return std::nullopt;
  const auto peer = *connected;
  agent.track(peer);
  peer->setIdleTimeout(std::chrono::seconds(10));
  peer->send(abort);
  ReadResult reply;
  do {
    reply = co_await peer->read();
  } while (reply.message && std::holds_alternative<Progress>(*reply.message));
  peer->close();
  agent.untrack(peer);
  if (reply.message && (std::holds_alternative<Success>(*reply.message) ||
                        std::holds_alternative<Failure>(*reply.message)))
    co_return std::move(*reply.message);
  co_return std::nullopt;
}

awaitable<Done> runSourceMigration(Agent& agent, const Migrate& request,
                                   const std::function<void(const Progress&)>& report) {
  SourceMigration migration(agent, request, report);
  auto done = co_await migration.run();
  co_return done;
}

}  // namespace roam::agent
