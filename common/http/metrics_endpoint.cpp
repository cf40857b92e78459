#include "common/http/metrics_endpoint.hpp"

namespace roam::http {

Result<std::unique_ptr<HttpServer>> serveMetrics(const std::string& address,
                                                 const metrics::Registry& registry) {
  auto server = HttpServer::listen(address);
  if (!server) return server.error();
  (*server)->route("/metrics", [&registry](const Request&) {
    return Response{200, metrics::kContentType, registry.render()};
  });
  return server;
}

}  // namespace roam::http
