#pragma once
// A small blocking HTTP client for controller REST APIs, over libcurl.
// One easy handle per client, reused for every request so the connection is
// kept alive between polls. Not thread-safe: one client per thread.

#include <memory>
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

  const HttpOptions& options() const { return options_; }

 private:
  Result<HttpResponse> perform(const char* method, const std::string& url, const std::string* body);

  struct Handle;  // owns the CURL* (RAII)
  HttpOptions options_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace roam::runtime
