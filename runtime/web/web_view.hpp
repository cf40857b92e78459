#pragma once
// `roam manager --web` (docs/web.md): the live view served by the HTTP
// server (common/http): the page's files, /api/state (the page model as
// JSON) and /events (server-sent events from the event feed). Read-only:
// the server answers GET and HEAD only, and nothing here changes the
// manager. Plain HTTP on loopback; anywhere else mutual TLS with the
// manager's certificates (the agents' TLS 1.3 context: a client must
// present a certificate of the deployment CA).

#include <filesystem>
#include <memory>
#include <string>

#include "common/http/http_server.hpp"
#include "common/result.hpp"
#include "runtime/web/event_feed.hpp"
#include "runtime/web/live_source.hpp"
#include "runtime/web/page_model.hpp"
#include "runtime/web/web_address.hpp"

namespace roam::runtime {

struct WebOptions {
  WebAddress address;
  // For a non-loopback address: DIR/ca.crt, DIR/IDENTITY.crt, DIR/IDENTITY.key.
  std::filesystem::path certs;
  std::string identity = "manager";
  PageOptions page;
  FeedOptions feed;
};

class WebView {
 public:
  // Binds, registers the routes and starts the event feed; the error says
  // why not (the address is in use, a certificate cannot be loaded).
  static roam::Result<std::unique_ptr<WebView>> start(LiveSource& source,
                                                      const WebOptions& options);
  // Stops the feed, then the server (every /events stream ends).
  ~WebView();
  WebView(const WebView&) = delete;
  WebView& operator=(const WebView&) = delete;

  // "http://127.0.0.1:PORT/", or "https://ADDR:PORT/" with TLS: the page.
  std::string url() const;
  bool tls() const { return tls_; }

 private:
  WebView(LiveSource& source, const WebOptions& options);

  PageModel model_;
  EventFeed feed_;
  bool tls_ = false;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace roam::runtime
