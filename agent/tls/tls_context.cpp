#include "agent/tls/tls_context.hpp"

#include <cerrno>
#include <exception>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_handles.hpp"

namespace roam::agent {

namespace {

namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;

using crypto::Owned;

// "PATH: WHAT (newest OpenSSL error)"; clears the OpenSSL error queue.
std::string fileError(const fs::path& path, const std::string& what) {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  std::string out = path.string() + ": " + what;
  if (last != 0) {
    char buf[256];
    ERR_error_string_n(last, buf, sizeof buf);
    out += std::string(" (") + buf + ")";
  }
  return out;
}

Owned<BIO> openFile(const fs::path& path, std::string& error) {
  Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    error = path.string() + ": cannot read: " + std::generic_category().message(errno);
    ERR_clear_error();
  }
  return bio;
}

Owned<X509> readCertificate(const fs::path& path, std::string& error) {
  auto bio = openFile(path, error);
  if (!bio) return nullptr;
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) error = fileError(path, "not a PEM certificate");
  return cert;
}

// The first CN of CERT's subject as UTF-8; "" when absent, repeated or containing NUL.
std::string commonName(const X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* raw = nullptr;
  int size = ASN1_STRING_to_UTF8(&raw, data);
  Owned<unsigned char> utf8(raw);
  if (size < 0) return {};
  std::string name(reinterpret_cast<const char*>(utf8.get()), static_cast<std::size_t>(size));
  return name.find('\0') == std::string::npos ? name : std::string();
}

// Makes the certificates in the CA file the context's only trust anchors.
std::string loadAuthority(SSL_CTX* ctx, const fs::path& path, TlsRole role) {
  std::string error;
  auto bio = openFile(path, error);
  if (!bio) return error;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int count = 0;
  while (Owned<X509> cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_check_ca(cert.get()) < 1) return path.string() + ": not a CA certificate";
    if (X509_STORE_add_cert(store, cert.get()) != 1)
      return fileError(path, "cannot add to the trust store");
    // Servers name the acceptable CAs so a client can pick its certificate.
    if (role == TlsRole::server && SSL_CTX_add_client_CA(ctx, cert.get()) != 1)
      return fileError(path, "cannot add to the client CA list");
    ++count;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (count == 0) return path.string() + ": no PEM certificate";
  X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
  return {};
}

std::string loadIdentity(SSL_CTX* ctx, const TlsFiles& files) {
  std::string error;
  auto cert = readCertificate(files.certificate, error);
  if (!cert) return error;
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1)
    return fileError(files.certificate, "cannot use the certificate");
  auto bio = openFile(files.key, error);
  if (!bio) return error;
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fileError(files.key, "not a PEM private key");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1)
    return fileError(files.key, "does not match " + files.certificate.string());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fileError(files.key, "does not match " + files.certificate.string());
  return {};
}

std::string configure(SSL_CTX* ctx, const TlsFiles& files, TlsRole role) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    return fileError("<tls>", "cannot restrict the context to TLS 1.3");
  // Both roles: a peer without a certificate, or with one the CA did not
  // issue, fails the handshake. Depth 0: the peer's certificate is signed by
  // the trust anchor directly, no intermediates.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_verify_depth(ctx, 0);
  // Every connection is a full handshake with full verification.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (auto error = loadAuthority(ctx, files.ca, role); !error.empty()) return error;
  return loadIdentity(ctx, files);
}

}  // namespace

TlsFiles TlsFiles::forName(const fs::path& dir, const std::string& name) {
  return {dir / "ca.crt", dir / (name + ".crt"), dir / (name + ".key")};
}

roam::Result<std::unique_ptr<ssl::context>> makeTlsContext(const TlsFiles& files, TlsRole role) {
  try {
    auto context = std::make_unique<ssl::context>(
        role == TlsRole::server ? ssl::context::tls_server : ssl::context::tls_client);
    if (auto error = configure(context->native_handle(), files, role); !error.empty())
      return roam::Error{roam::ErrorCode::Tls, std::move(error)};
    return context;
  } catch (const std::exception& e) {
    ERR_clear_error();
    return roam::Error{roam::ErrorCode::Tls,
                       std::string("cannot create a TLS context: ") + e.what()};
  }
}

std::string peerName(SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl)) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return commonName(cert);
}

roam::Result<std::string> certificateName(const fs::path& certificate) {
  std::string error;
  auto cert = readCertificate(certificate, error);
  if (!cert) return roam::makeError(roam::ErrorCode::Tls, error);
  return commonName(cert.get());
}

}  // namespace roam::agent
