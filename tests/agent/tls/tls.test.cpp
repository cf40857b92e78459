// Certificates and mutual TLS 1.3 over real loopback sockets: the handshake,
// the peer names, and every refusal (foreign CA, no certificate).

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "agent/tls/certificates.hpp"
#include "agent/tls/tls_context.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using asio::ip::tcp;
using boost::system::error_code;
using roam::agent::TlsFiles;
using roam::agent::TlsRole;

// A fresh directory under the system temp dir, removed on scope exit.
using TempDir = roamtest::TempDir;

// DIR/certs with a CA and the certificates "server" and "client".
fs::path deployment(const fs::path& root, const std::string& dirName = "certs") {
  fs::path dir = root / dirName;
  REQUIRE(roam::agent::initAuthority(dir).ok());
  REQUIRE(roam::agent::issueCertificate(dir, "server", {"127.0.0.1", "::1"}).ok());
  REQUIRE(roam::agent::issueCertificate(dir, "client", {}).ok());
  return dir;
}

std::unique_ptr<ssl::context> context(const TlsFiles& files, TlsRole role) {
  auto made = roam::agent::makeTlsContext(files, role);
  INFO(roam::errorText(made));
  REQUIRE(made.ok());
  CHECK(made.ok());
  return std::move(*made);
}

mode_t modeOf(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

struct Side {
  error_code handshake;
  bool handshakeDone = false;
  std::string peer;
  std::string protocol;
  std::string received;
  error_code read;
};

struct Outcome {
  Side server, client;
};

// One connection over 127.0.0.1: the client sends "ping", the server answers
// "pong". Everything runs on one io_context, bounded by a timeout.
Outcome exchange(ssl::context& serverContext, ssl::context& clientContext) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ssl::stream<tcp::socket> server(io, serverContext);
  ssl::stream<tcp::socket> client(io, clientContext);
  Outcome out;
  std::array<char, 4> serverBuf{}, clientBuf{};

  acceptor.async_accept(server.lowest_layer(), [&](error_code ec) {
    REQUIRE(!ec);
    server.async_handshake(ssl::stream_base::server, [&](error_code ec) {
      out.server.handshake = ec;
      out.server.handshakeDone = true;
      if (ec) {
        server.lowest_layer().close();
        return;
      }
      out.server.peer = roam::agent::peerName(server.native_handle());
      out.server.protocol = SSL_get_version(server.native_handle());
      asio::async_read(server, asio::buffer(serverBuf), [&](error_code ec, std::size_t n) {
        out.server.read = ec;
        out.server.received.assign(serverBuf.data(), n);
        if (ec) return server.lowest_layer().close();
        asio::async_write(server, asio::buffer(std::string_view("pong")),
                          [&](error_code, std::size_t) {});
      });
    });
  });

  client.lowest_layer().async_connect(acceptor.local_endpoint(), [&](error_code ec) {
    REQUIRE(!ec);
    client.async_handshake(ssl::stream_base::client, [&](error_code ec) {
      out.client.handshake = ec;
      out.client.handshakeDone = true;
      if (ec) {
        client.lowest_layer().close();
        return;
      }
      out.client.peer = roam::agent::peerName(client.native_handle());
      out.client.protocol = SSL_get_version(client.native_handle());
      asio::async_write(
          client, asio::buffer(std::string_view("ping")), [&](error_code, std::size_t) {
            asio::async_read(client, asio::buffer(clientBuf), [&](error_code ec, std::size_t n) {
              out.client.read = ec;
              out.client.received.assign(clientBuf.data(), n);
            });
          });
    });
  });

  io.run_for(std::chrono::seconds(5));
  CHECK(io.stopped());  // every operation finished: nothing hung until the timeout
  return out;
}

// A client context that trusts CA but presents no certificate at all.
std::unique_ptr<ssl::context> anonymousClient(const fs::path& ca) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  ctx->load_verify_file(ca.string());
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Free> readCert(const fs::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "r"), fclose);
  REQUIRE(f);
  std::unique_ptr<X509, X509Free> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

}  // namespace

TEST_CASE("mutual TLS 1.3 between certificates of one CA", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto server = context(TlsFiles::forName(dir, "server"), TlsRole::server);
  auto client = context(TlsFiles::forName(dir, "client"), TlsRole::client);

  auto out = exchange(*server, *client);
  INFO(out.server.handshake.message() << " / " << out.client.handshake.message());
  CHECK(!out.server.handshake);
  CHECK(!out.client.handshake);
  CHECK(out.server.protocol == "TLSv1.3");
  CHECK(out.client.protocol == "TLSv1.3");
  CHECK(out.server.peer == "client");
  CHECK(out.client.peer == "server");
  CHECK(out.server.received == "ping");
  CHECK(out.client.received == "pong");
}

TEST_CASE("a client certificate from another CA is refused", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto foreign = deployment(tmp.path, "foreign");
  auto server = context(TlsFiles::forName(dir, "server"), TlsRole::server);
  // Trusts the right CA (so it accepts the server) but presents a foreign certificate.
  auto files = TlsFiles::forName(foreign, "client");
  files.ca = dir / "ca.crt";
  auto client = context(files, TlsRole::client);

  auto out = exchange(*server, *client);
  CHECK(out.server.handshakeDone);
  CHECK(out.server.handshake);
  CHECK(out.server.handshake.message() == "certificate verify failed");
  CHECK(out.server.peer.empty());
  CHECK(out.server.received.empty());  // the client's "ping" never reached the server
  CHECK(out.client.received.empty());
  CHECK(out.client.read);  // the alert, not the server's answer
}

TEST_CASE("a client without a certificate is refused", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto server = context(TlsFiles::forName(dir, "server"), TlsRole::server);
  auto client = anonymousClient(dir / "ca.crt");

  auto out = exchange(*server, *client);
  CHECK(out.server.handshakeDone);
  CHECK(out.server.handshake);
  CHECK(out.server.handshake.message() == "peer did not return a certificate");
  CHECK(out.server.received.empty());
  CHECK(out.client.received.empty());
  CHECK(out.client.read);  // the alert, not the server's answer
}

TEST_CASE("a server certificate from another CA is refused by the client", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto foreign = deployment(tmp.path, "foreign");
  auto files = TlsFiles::forName(foreign, "server");
  files.ca = dir / "ca.crt";  // would accept our client, if the client got that far
  auto server = context(files, TlsRole::server);
  auto client = context(TlsFiles::forName(dir, "client"), TlsRole::client);

  auto out = exchange(*server, *client);
  CHECK(out.client.handshakeDone);
  CHECK(out.client.handshake);
  CHECK(out.client.handshake.message().find("certificate verify failed") != std::string::npos);
  CHECK(out.client.peer.empty());
  CHECK(out.server.handshake);
  CHECK(out.server.handshake.message() == "tlsv1 alert unknown ca");
  CHECK(out.server.received.empty());
}

TEST_CASE("a client limited to TLS 1.2 is refused", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto server = context(TlsFiles::forName(dir, "server"), TlsRole::server);
  auto client = context(TlsFiles::forName(dir, "client"), TlsRole::client);
  REQUIRE(SSL_CTX_set_min_proto_version(client->native_handle(), TLS1_2_VERSION) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(client->native_handle(), TLS1_2_VERSION) == 1);

  auto out = exchange(*server, *client);
  CHECK(out.server.handshake);
  CHECK(out.client.handshake);
  CHECK(out.server.received.empty());
}

TEST_CASE("certificates: layout, modes and contents", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  CHECK(modeOf(dir) == 0700);
  CHECK(modeOf(dir / "ca.key") == 0600);
  CHECK(modeOf(dir / "server.key") == 0600);
  CHECK(modeOf(dir / "client.key") == 0600);
  CHECK(modeOf(dir / "ca.crt") == 0644);
  CHECK(roam::agent::certificateName(dir / "server.crt").value() == "server");
  CHECK(roam::agent::certificateName(dir / "ca.crt").value().rfind("roam CA ", 0) == 0);
  CHECK_FALSE(roam::agent::certificateName(dir / "missing.crt").ok());

  auto ca = readCert(dir / "ca.crt");
  CHECK(X509_check_ca(ca.get()) >= 1);
  auto server = readCert(dir / "server.crt");
  CHECK(X509_check_ca(server.get()) == 0);
  CHECK(X509_check_issued(ca.get(), server.get()) == X509_V_OK);
  CHECK(X509_check_host(server.get(), "server", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(server.get(), "10.0.0.1", 0) == 0);
  CHECK(X509_check_purpose(server.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK(X509_check_purpose(server.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
}

TEST_CASE("key files are 0600 whatever the umask", "[agent]") {
  TempDir tmp;
  mode_t old = ::umask(0);
  auto dir = deployment(tmp.path);
  ::umask(old);
  CHECK(modeOf(dir) == 0700);
  CHECK(modeOf(dir / "ca.key") == 0600);
  CHECK(modeOf(dir / "server.key") == 0600);
}

TEST_CASE("certificates: refusals", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto before = readCert(dir / "ca.crt");

  auto reinit = roam::errorText(roam::agent::initAuthority(dir));
  CHECK(reinit.find((dir / "ca.crt").string()) != std::string::npos);
  CHECK(reinit.find("already exists") != std::string::npos);
  CHECK(X509_cmp(before.get(), readCert(dir / "ca.crt").get()) == 0);  // untouched

  CHECK(roam::errorText(roam::agent::issueCertificate(dir, "-bad", {}))
            .find("invalid certificate name '-bad'") == 0);
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, "a/b", {}))
            .find("invalid certificate name") == 0);
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, "", {}))
            .find("invalid certificate name") == 0);
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, std::string(64, 'a'), {})) != "");
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, std::string(63, 'a'), {})) == "");
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, "ca", {})).find("reserved") !=
        std::string::npos);
  CHECK(roam::errorText(roam::agent::issueCertificate(dir, "h1", {"10.0.0.1", "10.0.0.300"})) ==
        "invalid IP address '10.0.0.300': expected an IPv4 or IPv6 address");
  CHECK(!fs::exists(dir / "h1.crt"));
  CHECK(roam::errorText(roam::agent::issueCertificate(tmp.path / "nowhere", "h1", {}))
            .find((tmp.path / "nowhere" / "ca.crt").string()) == 0);
}

TEST_CASE("re-issuing refuses, or with Existing::replace replaces the certificate and key",
          "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);
  auto first = readCert(dir / "server.crt");
  // Not by accident: replacing needs Existing::replace (`roam certs issue --force`).
  auto refused = roam::agent::issueCertificate(dir, "server", {"10.0.0.7"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == roam::ErrorCode::Conflict);
  CHECK(refused.error().message ==
        (dir / "server.crt").string() + ": already exists; refusing to replace it");
  CHECK(X509_cmp(first.get(), readCert(dir / "server.crt").get()) == 0);
  REQUIRE(roam::agent::issueCertificate(dir, "server", {"10.0.0.7"}, roam::agent::Existing::replace)
              .ok());
  auto second = readCert(dir / "server.crt");
  CHECK(X509_cmp(first.get(), second.get()) != 0);
  CHECK(X509_check_ip_asc(second.get(), "10.0.0.7", 0) == 1);
  CHECK(modeOf(dir / "server.key") == 0600);
  for (const auto& entry : fs::directory_iterator(dir))  // no temporaries left behind
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  // The new pair still forms a working context.
  CHECK(roam::agent::makeTlsContext(TlsFiles::forName(dir, "server"), TlsRole::server).ok());
}

TEST_CASE("makeTlsContext names the file it cannot use", "[agent]") {
  TempDir tmp;
  auto dir = deployment(tmp.path);

  auto missing = roam::agent::makeTlsContext(TlsFiles::forName(dir, "nobody"), TlsRole::client);
  CHECK(!missing.ok());
  CHECK(roam::errorText(missing).find((dir / "nobody.crt").string() + ": cannot read") == 0);

  auto files = TlsFiles::forName(dir, "server");
  files.key = dir / "client.key";
  auto mismatch = roam::agent::makeTlsContext(files, TlsRole::server);
  CHECK(!mismatch.ok());
  CHECK(roam::errorText(mismatch).find((dir / "client.key").string() + ": does not match") == 0);

  files = TlsFiles::forName(dir, "server");
  files.ca = dir / "server.crt";  // a leaf is no trust anchor
  auto notCa = roam::agent::makeTlsContext(files, TlsRole::server);
  CHECK(!notCa.ok());
  CHECK(roam::errorText(notCa) == (dir / "server.crt").string() + ": not a CA certificate");

  std::ofstream(dir / "garbage.crt") << "hello\n";
  files = TlsFiles::forName(dir, "server");
  files.ca = dir / "garbage.crt";
  auto garbage = roam::agent::makeTlsContext(files, TlsRole::client);
  CHECK(!garbage.ok());
  CHECK(roam::errorText(garbage) == (dir / "garbage.crt").string() + ": no PEM certificate");
}
