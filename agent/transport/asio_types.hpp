#pragma once
// The Asio vocabulary the daemon and the client share: one io_context, C++20
// coroutines, TLS streams over TCP. Blocking work (the Docker Engine, disk) runs on a small
// thread pool and is awaited from the io_context (runBlocking).

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace roam::agent {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<Tcp::socket>;

// Runs `work` on `pool` and resumes the awaiting coroutine on its own executor
// with the result. `work` must not touch io_context-owned state. (Plain
// handlers, not a coroutine lambda: GCC 12 mis-destroys the captures of a
// coroutine lambda handed to co_spawn on another executor.)
//
// `work` is taken by reference (the caller's temporary lives until the end of
// the full co_await expression) and copied once into the pool's handler: GCC
// 12 destroys a by-value class parameter of a coroutine twice in some cases.
template <class WorkRef>
awaitable<std::invoke_result_t<std::decay_t<WorkRef>&>> runBlocking(asio::thread_pool& pool,
                                                                    WorkRef&& work) {
  using Work = std::decay_t<WorkRef>;
  using Result = std::invoke_result_t<Work&>;
  auto initiate = [&pool, &work](auto handler) {
    auto home = asio::get_associated_executor(handler);
    asio::post(pool, [handler = std::move(handler), w = Work(work),
                      guard = asio::make_work_guard(home)]() mutable {
      Result result = w();
      auto executor = guard.get_executor();
      asio::post(executor, [handler = std::move(handler), result = std::move(result),
                            guard = std::move(guard)]() mutable { handler(std::move(result)); });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Result)>(
      initiate, use_awaitable);
}

}  // namespace roam::agent
