#pragma once
// Work started on the worker pool now and awaited later from the io_context,
// so that the io thread does something else in between: during a transfer it
// sends (or receives) one frame on the socket while a worker prepares (or
// stores) the next. runBlocking (asio_types.hpp) is the start-and-await-at-once
// form; this one splits the two.

#include <memory>
#include <optional>
#include <utility>

#include "agent/transport/asio_types.hpp"

namespace roam::agent {

template <class Result>
class PendingWork {
 public:
  PendingWork() = default;
  PendingWork(const PendingWork&) = delete;
  PendingWork& operator=(const PendingWork&) = delete;

  // Runs WORK on POOL; its result is handed over on HOME (the io_context's
  // executor), so the state below is only ever touched by the io thread.
  // Whatever WORK refers to must outlive it: await get() before letting it go.
  template <class Work>
  void start(asio::thread_pool& pool, const asio::any_io_executor& home, Work work) {
    state_ = std::make_shared<State>(home);
    asio::post(pool, [state = state_, work = std::move(work),
                      guard = asio::make_work_guard(home)]() mutable {
      Result result = work();
      auto executor = guard.get_executor();
      asio::post(executor, [state = std::move(state), result = std::move(result),
                            guard = std::move(guard)]() mutable {
        state->result = std::move(result);
        state->done.cancel();
      });
    });
  }

  bool running() const { return state_ != nullptr; }

  // The result, once the work has finished; the object is then free to start
  // again. Only when running().
  awaitable<Result> get() {
    auto state = state_;
    while (!state->result) {
      boost::system::error_code ec;
      co_await state->done.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    state_.reset();
    co_return std::move(*state->result);
  }

 private:
  struct State {
    explicit State(const asio::any_io_executor& home) : done(home) {
      done.expires_at(asio::steady_timer::time_point::max());
    }
    std::optional<Result> result;
    asio::steady_timer done;  // cancelled when the result arrives
  };
  std::shared_ptr<State> state_;
};

}  // namespace roam::agent
