#pragma once
// Mutual TLS 1.3 between roam's agents and manager: both ends present a
// certificate issued by the deployment CA and verify the other's against that
// CA only (docs/security.md).

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/result.hpp"

namespace roam::agent {

struct TlsFiles {
  std::filesystem::path ca, certificate, key;

  // DIR/ca.crt, DIR/NAME.crt, DIR/NAME.key (the layout `roam certs` writes).
  static TlsFiles forName(const std::filesystem::path& dir, const std::string& name);
};

enum class TlsRole { server, client };

// TLS 1.3 only; both roles require and verify the peer's certificate against
// files.ca alone (never the system store); presents files.certificate with
// files.key, which must match it. No session tickets. An error names the file
// and the reason.
roam::Result<std::unique_ptr<boost::asio::ssl::context>> makeTlsContext(const TlsFiles& files,
                                                                        TlsRole role);

// The common name of the peer's verified certificate on an established
// connection; "" when there is none or it did not verify.
std::string peerName(SSL* ssl);

// The common name in a PEM certificate file (an agent's own name), or why the
// file cannot be read (ErrorCode::Tls, naming the file).
roam::Result<std::string> certificateName(const std::filesystem::path& certificate);

}  // namespace roam::agent
