#pragma once
// `--metrics ADDR:PORT`: a registry's metrics at http://ADDR:PORT/metrics in
// the Prometheus text format (docs/metrics.md). The manager and the agent
// serve theirs with it.

#include <memory>
#include <string>

#include "common/http/http_server.hpp"
#include "common/metrics/registry.hpp"

namespace roam::http {

// Listens on ADDRESS and serves REGISTRY (which must outlive the server) at
// /metrics. Errors as HttpServer::listen's.
Result<std::unique_ptr<HttpServer>> serveMetrics(const std::string& address,
                                                 const metrics::Registry& registry);

}  // namespace roam::http
