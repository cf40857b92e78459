#pragma once
// A small blocking HTTP client for controller REST APIs, over libcurl.
// One easy handle per client, reused for every request so the connection is
// kept alive between polls; getEach keeps a few more for requests in
// parallel. Not thread-safe: one client per thread.

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "runtime/measure/fetch_result.hpp"

namespace roam::runtime {

struct HttpOptions {
  double connectTimeoutSeconds = 1.0;
  double totalTimeoutSeconds = 2.0;  // the whole request, connect included
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // A 2xx answer's body, or an error naming the request and the reason
  // ("GET http://127.0.0.1:8080/x: HTTP 404", "...: timed out after 2 s").
  Result<HttpResponse> get(const std::string& url);
  // POSTs `jsonBody` with Content-Type application/json.
  Result<HttpResponse> post(const std::string& url, const std::string& jsonBody);

  // GETs every URL with up to `parallel` requests in flight, each on its own
  // kept-alive connection, and calls done(i, answer) for urls[i] as each
  // completes, on this thread, in completion order. Polling a thousand
  // switches one request after the other costs a sleep and a wake-up per
  // request and a round trip each; in parallel, answers that arrive while
  // another is being handled cost neither. Errors are as get's.
  using EachDone = std::function<void(std::size_t, Result<HttpResponse>)>;
  void getEach(std::span<const std::string> urls, std::size_t parallel, const EachDone& done);

  const HttpOptions& options() const { return options_; }

 private:
  Result<HttpResponse> perform(const char* method, const std::string& url, const std::string* body);

  struct Handle;  // owns a CURL* (RAII) and what a request on it needs
  struct Multi;   // owns the CURLM* and the handles of getEach
  HttpOptions options_;
  std::unique_ptr<Handle> handle_;
  std::unique_ptr<Multi> multi_;
};

}  // namespace roam::runtime
