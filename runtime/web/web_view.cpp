#include "runtime/web/web_view.hpp"

#include <boost/asio/ssl/context.hpp>

#include "agent/tls/tls_context.hpp"
#include "runtime/web/web_assets.hpp"

namespace roam::runtime {

WebView::WebView(LiveSource& source, const WebOptions& options)
    : model_(source, options.page), feed_(source, model_, options.feed) {}

WebView::~WebView() {
  feed_.stop();
  server_.reset();
}

roam::Result<std::unique_ptr<WebView>> WebView::start(LiveSource& source,
                                                      const WebOptions& options) {
  std::unique_ptr<WebView> view(new WebView(source, options));
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!options.address.loopback) {
    auto context = agent::makeTlsContext(agent::TlsFiles::forName(options.certs, options.identity),
                                         agent::TlsRole::server);
    if (!context) return context.error();
    tls = std::shared_ptr<boost::asio::ssl::context>(std::move(*context));
    view->tls_ = true;
  }
  auto server = http::HttpServer::listen(options.address.hostPort(), tls);
  if (!server) return server.error();
  view->server_ = std::move(*server);

  for (const auto& file : embeddedWebFiles()) {
    const WebAsset* asset = findWebAsset(file.path);
    auto serve = [asset](const http::Request&) {
      return http::Response{200, std::string(asset->contentType), std::string(asset->body)};
    };
    view->server_->route(std::string(file.path), serve);
    if (file.path == "/index.html") view->server_->route("/", serve);
  }
  PageModel& model = view->model_;
  view->server_->route("/api/state", [&model](const http::Request&) {
    return http::Response{
        200, "application/json; charset=utf-8",
        model.snapshot().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  });
  EventFeed& feed = view->feed_;
  view->server_->streamRoute(
      "/events", "text/event-stream; charset=utf-8",
      [&feed](const http::Request&, std::shared_ptr<http::EventStream> stream) {
        feed.subscribe([stream](std::string_view chunk) { return stream->send(chunk); });
      });
  view->feed_.start();
  return view;
}

std::string WebView::url() const {
  return std::string(tls_ ? "https://" : "http://") + server_->boundAddress() + "/";
}

}  // namespace roam::runtime
