#include "agent/docker/docker_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/curl_global.hpp"

namespace roam::agent {

namespace {

constexpr const char* kApiBase = "http://docker/v1.41";  // the host part is ignored on a socket
constexpr long kConnectTimeoutMs = 5000;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

const char* flag(bool b) {
  return b ? "1" : "0";
}

std::string trimLine(std::string text) {
  // Error messages must stay one line, whatever the engine or a proxy sent.
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && text[start] == ' ') ++start;
  text.erase(0, start);
  constexpr std::size_t kMax = 400;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

// The engine's explanation in a JSON message, whichever field carries it.
std::string messageOf(const nlohmann::json& j) {
  if (!j.is_object()) return {};
  for (const char* key : {"message", "error"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  auto detail = j.find("errorDetail");
  if (detail != j.end() && detail->is_object()) {
    auto it = detail->find("message");
    if (it != detail->end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

std::string base64Decode(const std::string& in) {
  if (in.empty()) return {};
  std::string out(3 * ((in.size() + 3) / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts the bytes that '=' padding stands for as zeros.
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

}  // namespace

struct DockerClient::Handle {
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl;
  char errorBuffer[CURL_ERROR_SIZE] = {};
};

// One request: what to send, where the answer goes, and how to judge it.
struct DockerClient::Request {
  std::string what;    // for messages: "inspect container web"
  const char* method;  // GET, POST, PUT, DELETE
  std::string path;    // below /v1.41, query included, already escaped
  std::optional<std::string> jsonBody = std::nullopt;
  const ByteSource* source = nullptr;  // streamed upload (chunked)
  const ByteSink* sink = nullptr;      // streamed 2xx body
  bool jsonLines = false;              // 2xx body is JSON lines that may carry {"error": ...}
  const std::function<bool(const nlohmann::json&)>* onLine = nullptr;  // events
  bool stream = false;        // no request timeout: the transfer is as long as the data
  double timeoutSeconds = 0;  // overrides the request timeout when > 0
  bool timeoutIsEnd = false;  // reaching timeoutSeconds is success (events `until`)
};

namespace {

// Everything one transfer's callbacks share.
struct Transfer {
  CURL* curl = nullptr;
  const ByteSource* source = nullptr;
  const ByteSink* sink = nullptr;
  bool jsonLines = false;
  const std::function<bool(const nlohmann::json&)>* onLine = nullptr;

  std::string buffer;   // the body when it is neither sunk nor split into lines
  std::string pending;  // an incomplete JSON line
  nlohmann::json messages = nlohmann::json::array();
  std::string streamError;
  std::string pathStat;  // X-Docker-Container-Path-Stat, base64
  bool sinkAborted = false;
  bool sourceFailed = false;
  bool stoppedByCallback = false;

  long status() const {
    long s = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s);
    return s;
  }

  // false: stop the transfer
  bool line(std::string_view text) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return true;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return true;  // not ours to judge; the engine only writes JSON here
    if (onLine) {
      if (!(*onLine)(j)) {
        stoppedByCallback = true;
        return false;
      }
      return true;
    }
    if (streamError.empty() && j.is_object() && (j.contains("error") || j.contains("errorDetail")))
      streamError = messageOf(j);
    messages.push_back(std::move(j));
    return true;
  }

  bool splitLines(const char* data, std::size_t n) {
    pending.append(data, n);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!line(std::string_view(pending).substr(start, nl - start))) return false;
    }
    pending.erase(0, start);
    return true;
  }
};

std::size_t onWrite(char* data, std::size_t size, std::size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  const long status = t.status();
  const bool success = status >= 200 && status < 300;
  // Error answers are always buffered: they carry the engine's message.
  if (success && t.sink) {
    if (!(*t.sink)(
            std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data), bytes))) {
      t.sinkAborted = true;
      return 0;
    }
    return bytes;
  }
  if (success && (t.jsonLines || t.onLine)) return t.splitLines(data, bytes) ? bytes : 0;
  t.buffer.append(data, bytes);
  return bytes;
}

std::size_t onRead(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t room = size * n;
  auto got = (*t.source)(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer), room));
  if (!got || *got > room) {
    t.sourceFailed = true;
    return CURL_READFUNC_ABORT;
  }
  return *got;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  static constexpr std::string_view kStat = "x-docker-container-path-stat:";
  std::string_view h(data, bytes);
  if (h.size() > kStat.size()) {
    bool match = true;
    for (std::size_t i = 0; i < kStat.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(h[i])) == kStat[i];
    if (match) {
      std::string value(h.substr(kStat.size()));
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.pop_back();
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
        value.erase(0, 1);
      t.pathStat = value;
    }
  }
  return bytes;
}

}  // namespace

DockerClient::DockerClient(std::string socketPath)
    : socketPath_(std::move(socketPath)), handle_(std::make_unique<Handle>()) {
  curlGlobalInitOnce();
  handle_->curl.reset(curl_easy_init());
}

DockerClient::~DockerClient() = default;
DockerClient::DockerClient(DockerClient&&) noexcept = default;
DockerClient& DockerClient::operator=(DockerClient&&) noexcept = default;

std::optional<std::string> DockerClient::socketFromUrl(const std::string& url) {
  static constexpr std::string_view kScheme = "unix://";
  if (url.size() <= kScheme.size() || url.compare(0, kScheme.size(), kScheme) != 0)
    return std::nullopt;
  std::string path = url.substr(kScheme.size());
  if (path.front() != '/') return std::nullopt;  // unix://relative is not a socket path
  return path;
}

const std::string& DockerClient::socketPath() const {
  return socketPath_;
}

std::string DockerClient::escape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

DockerResult DockerClient::perform(const Request& request) {
  DockerResult result;
  CURL* c = handle_ ? handle_->curl.get() : nullptr;
  if (!c) {
    result.outcome = roam::Error{ErrorCode::Internal, request.what + ": cannot initialise libcurl"};
    return result;
  }
  // curl_easy_reset keeps the live connection (keep-alive on the socket) but
  // drops every option of the previous request, so nothing leaks between calls.
  curl_easy_reset(c);
  Transfer t;
  t.curl = c;
  t.source = request.source;
  t.sink = request.sink;
  t.jsonLines = request.jsonLines;
  t.onLine = request.onLine;
  handle_->errorBuffer[0] = '\0';

  const std::string url = std::string(kApiBase) + request.path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socketPath_.c_str());
  // Without NOSIGNAL libcurl may use SIGALRM, unsafe in a multi-threaded agent.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle_->errorBuffer);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &onWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  const double timeout = request.timeoutSeconds > 0 ? request.timeoutSeconds
                         : request.stream           ? 0.0
                                                    : requestTimeoutSeconds_;
  if (timeout > 0)
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::lround(timeout * 1000)));

  Slist headers;
  auto addHeader = [&](const char* h) { headers.reset(curl_slist_append(headers.release(), h)); };
  const std::string method = request.method;
  if (request.source) {
    // The size of a streamed tar is unknown up front: chunked encoding. The
    // empty Expect: stops libcurl from waiting for "100 Continue".
    addHeader("Content-Type: application/x-tar");
    addHeader("Transfer-Encoding: chunked");
    addHeader("Expect:");
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &onRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    if (method == "PUT") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
    }
  } else if (request.jsonBody) {
    addHeader("Content-Type: application/json");
    addHeader("Expect:");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.jsonBody->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.jsonBody->size()));
    if (method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method);
  } else if (method == "POST") {
    // An empty POST: libcurl needs a body pointer, or it reads stdin.
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method);
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(c);
  result.status = t.status();
  // A last JSON line without a trailing newline.
  if (rc == CURLE_OK && !t.pending.empty()) t.line(t.pending);

  if (rc != CURLE_OK && !t.stoppedByCallback &&
      !(rc == CURLE_OPERATION_TIMEDOUT && request.timeoutIsEnd)) {
    std::string why;
    if (t.sinkAborted) {
      why = "aborted by the receiver";
    } else if (t.sourceFailed) {
      why = "the upload source failed";
    } else if (rc == CURLE_COULDNT_CONNECT) {
      // The socket's errno says what happened (no such file, refused...).
      long osErrno = 0;
      curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &osErrno);
      why = "cannot connect to the engine at " + socketPath_;
      if (osErrno != 0) why += ": " + std::string(std::strerror(static_cast<int>(osErrno)));
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      why = "timed out after " + seconds(timeout);
    } else {
      why = handle_->errorBuffer[0] ? handle_->errorBuffer : curl_easy_strerror(rc);
    }
    result.status = rc == CURLE_COULDNT_CONNECT ? 0 : result.status;
    const ErrorCode code = rc == CURLE_COULDNT_CONNECT      ? ErrorCode::Connect
                           : rc == CURLE_OPERATION_TIMEDOUT ? ErrorCode::Timeout
                                                            : ErrorCode::Io;
    result.outcome = roam::Error{code, trimLine(request.what + ": " + why)};
    return result;
  }

  const bool success = (result.status >= 200 && result.status < 300) || result.status == 304;
  if (!t.buffer.empty()) {
    auto j = nlohmann::json::parse(t.buffer, nullptr, false);
    if (!j.is_discarded()) result.body = std::move(j);
  }
  if (!success) {
    std::string message = messageOf(result.body);
    if (message.empty()) message = t.buffer.empty() ? "no explanation" : t.buffer;
    const ErrorCode code = result.status == 404   ? ErrorCode::NotFound
                           : result.status == 409 ? ErrorCode::Conflict
                                                  : ErrorCode::Engine;
    result.outcome = roam::Error{code, trimLine(request.what + ": " + message + " (HTTP " +
                                                std::to_string(result.status) + ")")};
    return result;
  }
  if (t.jsonLines) {
    result.body = std::move(t.messages);
    if (!t.streamError.empty())
      result.outcome =
          roam::Error{ErrorCode::Engine, trimLine(request.what + ": " + t.streamError)};
  } else if (t.sink && !t.pathStat.empty()) {
    auto stat = nlohmann::json::parse(base64Decode(t.pathStat), nullptr, false);
    if (!stat.is_discarded()) result.body = std::move(stat);
  }
  return result;
}

DockerResult DockerClient::version() {
  return perform({.what = "engine version", .method = "GET", .path = "/version"});
}

DockerResult DockerClient::info() {
  return perform({.what = "engine info", .method = "GET", .path = "/info"});
}

DockerResult DockerClient::inspectContainer(const std::string& nameOrId) {
  return perform({.what = "inspect container " + nameOrId,
                  .method = "GET",
                  .path = "/containers/" + escape(nameOrId) + "/json"});
}

DockerResult DockerClient::listContainers(bool all) {
  return perform({.what = "list containers",
                  .method = "GET",
                  .path = std::string("/containers/json?all=") + flag(all)});
}

DockerResult DockerClient::createContainer(const std::string& name, const nlohmann::json& body) {
  std::string path = "/containers/create";
  if (!name.empty()) path += "?name=" + escape(name);
  return perform({.what = "create container " + (name.empty() ? "(unnamed)" : name),
                  .method = "POST",
                  .path = std::move(path),
                  .jsonBody = body.dump()});
}

DockerResult DockerClient::startContainer(const std::string& id, const std::string& checkpoint,
                                          const std::string& checkpointDir) {
  std::string path = "/containers/" + escape(id) + "/start";
  char sep = '?';
  if (!checkpoint.empty()) {
    path += sep + ("checkpoint=" + escape(checkpoint));
    sep = '&';
  }
  if (!checkpointDir.empty()) path += sep + ("checkpoint-dir=" + escape(checkpointDir));
  return perform({.what = "start container " + id +
                          (checkpoint.empty() ? "" : " from checkpoint " + checkpoint),
                  .method = "POST",
                  .path = std::move(path)});
}

DockerResult DockerClient::stopContainer(const std::string& id, int timeoutSeconds) {
  return perform(
      {.what = "stop container " + id,
       .method = "POST",
       .path = "/containers/" + escape(id) + "/stop?t=" + std::to_string(timeoutSeconds)});
}

DockerResult DockerClient::pauseContainer(const std::string& id) {
  return perform({.what = "pause container " + id,
                  .method = "POST",
                  .path = "/containers/" + escape(id) + "/pause"});
}

DockerResult DockerClient::unpauseContainer(const std::string& id) {
  return perform({.what = "unpause container " + id,
                  .method = "POST",
                  .path = "/containers/" + escape(id) + "/unpause"});
}

DockerResult DockerClient::removeContainer(const std::string& id, bool force, bool removeVolumes) {
  return perform({.what = "remove container " + id,
                  .method = "DELETE",
                  .path = "/containers/" + escape(id) + "?force=" + flag(force) +
                          "&v=" + flag(removeVolumes)});
}

DockerResult DockerClient::renameContainer(const std::string& id, const std::string& newName) {
  return perform({.what = "rename container " + id + " to " + newName,
                  .method = "POST",
                  .path = "/containers/" + escape(id) + "/rename?name=" + escape(newName)});
}

DockerResult DockerClient::containerChanges(const std::string& id) {
  auto r = perform({.what = "changes of container " + id,
                    .method = "GET",
                    .path = "/containers/" + escape(id) + "/changes"});
  // The engine answers `null` for an unchanged file system; callers iterate.
  if (r.ok() && !r.body.is_array()) r.body = nlohmann::json::array();
  return r;
}

DockerResult DockerClient::commitContainer(const std::string& id, const std::string& repo,
                                           const std::string& tag, bool pause) {
  std::string path = "/commit?container=" + escape(id) + "&pause=" + (pause ? "true" : "false");
  if (!repo.empty()) {
    path += "&repo=" + escape(repo);
    if (!tag.empty()) path += "&tag=" + escape(tag);
  }
  return perform({.what = "commit container " + id,
                  .method = "POST",
                  .path = std::move(path),
                  .jsonBody = std::string("{}")});
}

DockerResult DockerClient::exportContainer(const std::string& id, const ByteSink& sink) {
  return perform({.what = "export container " + id,
                  .method = "GET",
                  .path = "/containers/" + escape(id) + "/export",
                  .sink = &sink,
                  .stream = true});
}

DockerResult DockerClient::getArchive(const std::string& id, const std::string& path,
                                      const ByteSink& sink) {
  return perform({.what = "get " + path + " from container " + id,
                  .method = "GET",
                  .path = "/containers/" + escape(id) + "/archive?path=" + escape(path),
                  .sink = &sink,
                  .stream = true});
}

DockerResult DockerClient::putArchive(const std::string& id, const std::string& path,
                                      const ByteSource& source) {
  return perform({.what = "put archive into " + path + " of container " + id,
                  .method = "PUT",
                  .path = "/containers/" + escape(id) + "/archive?path=" + escape(path),
                  .source = &source,
                  .stream = true});
}

DockerResult DockerClient::inspectImage(const std::string& nameOrId) {
  return perform({.what = "inspect image " + nameOrId,
                  .method = "GET",
                  .path = "/images/" + escape(nameOrId) + "/json"});
}

DockerResult DockerClient::listImages() {
  return perform({.what = "list images", .method = "GET", .path = "/images/json"});
}

DockerResult DockerClient::saveImage(const std::string& nameOrId, const ByteSink& sink) {
  return perform({.what = "save image " + nameOrId,
                  .method = "GET",
                  .path = "/images/" + escape(nameOrId) + "/get",
                  .sink = &sink,
                  .stream = true});
}

DockerResult DockerClient::loadImage(const ByteSource& source) {
  return perform({.what = "load image",
                  .method = "POST",
                  .path = "/images/load?quiet=1",
                  .source = &source,
                  .jsonLines = true,
                  .stream = true});
}

DockerResult DockerClient::importImage(const std::string& repo, const std::string& tag,
                                       const ByteSource& source) {
  std::string path = "/images/create?fromSrc=-";
  if (!repo.empty()) {
    path += "&repo=" + escape(repo);
    if (!tag.empty()) path += "&tag=" + escape(tag);
  }
  return perform({.what = "import image " + repo + (tag.empty() ? "" : ":" + tag),
                  .method = "POST",
                  .path = std::move(path),
                  .source = &source,
                  .jsonLines = true,
                  .stream = true});
}

DockerResult DockerClient::tagImage(const std::string& nameOrId, const std::string& repo,
                                    const std::string& tag) {
  std::string path = "/images/" + escape(nameOrId) + "/tag?repo=" + escape(repo);
  if (!tag.empty()) path += "&tag=" + escape(tag);
  return perform({.what = "tag image " + nameOrId + " as " + repo + (tag.empty() ? "" : ":" + tag),
                  .method = "POST",
                  .path = std::move(path)});
}

DockerResult DockerClient::removeImage(const std::string& nameOrId, bool force) {
  return perform({.what = "remove image " + nameOrId,
                  .method = "DELETE",
                  .path = "/images/" + escape(nameOrId) + "?force=" + flag(force)});
}

DockerResult DockerClient::createVolume(const std::string& name, const nlohmann::json& labels) {
  nlohmann::json body = {{"Name", name}, {"Driver", "local"}};
  if (labels.is_object()) body["Labels"] = labels;
  return perform({.what = "create volume " + name,
                  .method = "POST",
                  .path = "/volumes/create",
                  .jsonBody = body.dump()});
}

DockerResult DockerClient::inspectVolume(const std::string& name) {
  return perform(
      {.what = "inspect volume " + name, .method = "GET", .path = "/volumes/" + escape(name)});
}

DockerResult DockerClient::removeVolume(const std::string& name, bool force) {
  return perform({.what = "remove volume " + name,
                  .method = "DELETE",
                  .path = "/volumes/" + escape(name) + "?force=" + flag(force)});
}

DockerResult DockerClient::createCheckpoint(const std::string& id, const std::string& checkpointId,
                                            const std::string& checkpointDir, bool exit) {
  nlohmann::json body = {{"CheckpointID", checkpointId}, {"Exit", exit}};
  if (!checkpointDir.empty()) body["CheckpointDir"] = checkpointDir;
  return perform({.what = "checkpoint container " + id + " as " + checkpointId,
                  .method = "POST",
                  .path = "/containers/" + escape(id) + "/checkpoints",
                  .jsonBody = body.dump()});
}

DockerResult DockerClient::deleteCheckpoint(const std::string& id, const std::string& checkpointId,
                                            const std::string& checkpointDir) {
  std::string path = "/containers/" + escape(id) + "/checkpoints/" + escape(checkpointId);
  if (!checkpointDir.empty()) path += "?dir=" + escape(checkpointDir);
  return perform({.what = "delete checkpoint " + checkpointId + " of container " + id,
                  .method = "DELETE",
                  .path = std::move(path)});
}

DockerResult DockerClient::events(long since, long until, const nlohmann::json& filters,
                                  const std::function<bool(const nlohmann::json&)>& onEvent) {
  std::string path = "/events";
  char sep = '?';
  auto add = [&](const std::string& kv) {
    path += sep + kv;
    sep = '&';
  };
  if (since > 0) add("since=" + std::to_string(since));
  if (until > 0) add("until=" + std::to_string(until));
  if (filters.is_object() && !filters.empty()) add("filters=" + escape(filters.dump()));
  Request request{.what = "events", .method = "GET", .path = std::move(path), .stream = true};
  request.onLine = &onEvent;
  if (until > 0) {
    // The engine ends the stream at `until` itself; the timeout (with slack
    // for clock skew) guards against an engine that does not.
    const double left = static_cast<double>(until - std::time(nullptr));
    request.timeoutSeconds = std::max(left, 0.0) + 5.0;
    request.timeoutIsEnd = true;
  }
  return perform(request);
}

}  // namespace roam::agent
