#include "agent/tls/certificates.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_handles.hpp"

namespace roam::agent {

namespace {

namespace fs = std::filesystem;

using crypto::Owned;
using roam::ErrorCode;
using roam::Status;

// A file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports whether the close succeeded (write errors can surface here).
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

constexpr int kCaDays = 3650;
constexpr int kLeafDays = 730;
constexpr long kBackdateSeconds = 3600;  // tolerate an hour of clock skew between hosts
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

std::string errnoText(int error) {
  return std::generic_category().message(error);
}

// The newest OpenSSL error (and clears the queue), or `fallback` when there is none.
std::string opensslError(const std::string& fallback) {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return fallback;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return fallback + " (" + buf + ")";
}

// OpenSSL's latest error after FALLBACK, as ErrorCode::Tls.
roam::Error tlsError(const std::string& fallback) {
  return roam::makeError(ErrorCode::Tls, opensslError(fallback));
}

roam::Error ioError(std::string message) {
  return roam::makeError(ErrorCode::Io, std::move(message));
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Creates PATH (it must not exist) with exactly MODE, whatever the umask, and
// writes BYTES to it. On failure nothing is left behind.
Status writeNewFile(const fs::path& path, const std::string& bytes, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return ioError(path.string() + ": cannot create: " + errnoText(errno));
  auto fail = [&](const std::string& what) {
    int error = errno;
    ::unlink(path.c_str());
    return ioError(path.string() + ": " + what + ": " + errnoText(error));
  };
  // The umask can only have narrowed MODE; fchmod on the descriptor sets it exactly.
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot set mode");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot write");
  if (!fd.close()) return fail("cannot write");
  return {};
}

// Replaces PATH atomically: a new file beside it (created with MODE), renamed over it.
Status replaceFile(const fs::path& path, const std::string& bytes, mode_t mode) {
  fs::path temp = path;
  temp += ".tmp-" + randomHex(6);
  if (auto written = writeNewFile(temp, bytes, mode); !written) return written;
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return ioError(path.string() + ": cannot replace: " + errnoText(error));
  }
  return {};
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string keyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  return bioText(bio.get());
}

std::string certificatePem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bioText(bio.get());
}

Owned<EVP_PKEY> generateKey() {
  return Owned<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

bool setRandomSerial(X509* cert) {
  Owned<BIGNUM> bn(BN_new());
  if (!bn || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) return false;
  Owned<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  return serial && X509_set_serialNumber(cert, serial.get()) == 1;
}

bool setSubject(X509* cert, const std::string& commonName) {
  Owned<X509_NAME> name(X509_NAME_new());
  return name &&
         X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(commonName.c_str()), -1,
                                    -1, 0) == 1 &&
         X509_set_subject_name(cert, name.get()) == 1;
}

// A v3 certificate for KEY named COMMONNAME, valid from an hour ago for DAYS;
// issuer and extensions are the caller's.
Owned<X509> newCertificate(EVP_PKEY* key, const std::string& commonName, int days) {
  Owned<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 || !setRandomSerial(cert.get()) ||
      !setSubject(cert.get(), commonName) || X509_set_pubkey(cert.get(), key) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    return nullptr;
  return cert;
}

// Adds extension NID with VALUE in openssl.cnf syntax (a constant string of ours).
bool addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// SAN: DNS:NAME and one IP entry per address (already validated).
bool addSubjectAltNames(X509* cert, const std::string& name, const std::vector<std::string>& ips) {
  Owned<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (!names) return false;
  auto push = [&](GENERAL_NAME* entry) {
    if (!entry) return false;
    if (sk_GENERAL_NAME_push(names.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return false;
    }
    return true;
  };
  ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
  if (!dns || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
    ASN1_IA5STRING_free(dns);
    return false;
  }
  GENERAL_NAME* dnsEntry = GENERAL_NAME_new();
  if (!dnsEntry) {
    ASN1_IA5STRING_free(dns);
    return false;
  }
  GENERAL_NAME_set0_value(dnsEntry, GEN_DNS, dns);
  if (!push(dnsEntry)) return false;
  for (const auto& ip : ips) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (!octets) return false;
    GENERAL_NAME* entry = GENERAL_NAME_new();
    if (!entry) {
      ASN1_OCTET_STRING_free(octets);
      return false;
    }
    GENERAL_NAME_set0_value(entry, GEN_IPADD, octets);
    if (!push(entry)) return false;
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

roam::Result<Owned<X509>> readCertificate(const fs::path& path) {
  Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    auto error = ioError(path.string() + ": cannot read: " + errnoText(errno));
    ERR_clear_error();
    return error;
  }
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return tlsError(path.string() + ": not a PEM certificate");
  return cert;
}

roam::Result<Owned<EVP_PKEY>> readKey(const fs::path& path) {
  Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    auto error = ioError(path.string() + ": cannot read: " + errnoText(errno));
    ERR_clear_error();
    return error;
  }
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return tlsError(path.string() + ": not a PEM private key");
  return key;
}

// Makes DIR (mode 0700); its parents are created as needed. It will hold the
// CA's key, so nobody else may list or enter it: an existing empty DIR is set
// to 0700, an existing DIR with files in it must be private already (changing
// the mode of, say, /tmp is not ours to do).
Status makeDirectory(const fs::path& dir) {
  std::error_code ec;
  auto status = fs::status(dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      return roam::makeError(ErrorCode::Conflict, dir.string() + ": exists and is not a directory");
    const auto mode = static_cast<unsigned>(status.permissions()) & 0777u;
    if ((mode & 077u) == 0) return {};
    if (!fs::is_empty(dir, ec)) {
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", mode);
      return roam::makeError(ErrorCode::Conflict,
                             dir.string() + ": others can read it (mode " + octal +
                                 ") and it is not empty; give a new or private (0700) directory");
    }
    if (::chmod(dir.c_str(), 0700) != 0)
      return ioError(dir.string() + ": cannot set mode: " + errnoText(errno));
    return {};
  }
  fs::path parent = dir.parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return ioError(parent.string() + ": cannot create: " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0)
    return ioError(dir.string() + ": cannot create: " + errnoText(errno));
  // A new directory we own: narrow by the umask at most, so set it exactly.
  if (::chmod(dir.c_str(), 0700) != 0)
    return ioError(dir.string() + ": cannot set mode: " + errnoText(errno));
  return {};
}

}  // namespace

Status checkCertificateName(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !name.empty() && name.size() <= 63 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    return roam::makeError(ErrorCode::BadInput, "invalid certificate name '" + name +
                                                    "': expected 1 to 63 letters, digits, '.', '_' "
                                                    "or '-', starting with a letter or digit");
  if (name == "ca")
    return roam::makeError(ErrorCode::BadInput,
                           "invalid certificate name 'ca': reserved for the certificate authority");
  return {};
}

Status checkIpAddress(const std::string& ip) {
  unsigned char buf[16];
  if (::inet_pton(AF_INET, ip.c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip.c_str(), buf) == 1)
    return {};
  return roam::makeError(ErrorCode::BadInput,
                         "invalid IP address '" + ip + "': expected an IPv4 or IPv6 address");
}

Status initAuthority(const fs::path& dir) {
  const fs::path certPath = dir / "ca.crt";
  const fs::path keyPath = dir / "ca.key";
  std::error_code ec;
  for (const auto& path : {certPath, keyPath})
    if (fs::exists(fs::symlink_status(path, ec)))
      return roam::makeError(
          ErrorCode::Conflict,
          path.string() + ": already exists; refusing to overwrite the certificate authority");
  if (auto made = makeDirectory(dir); !made) return made;

  auto key = generateKey();
  if (!key) return tlsError(keyPath.string() + ": cannot generate an EC P-256 key");
  std::string suffix = randomHex(8);
  if (suffix.empty()) return tlsError("no randomness for the CA name");
  auto cert = newCertificate(key.get(), "roam CA " + suffix, kCaDays);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      !addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      !addExtension(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return tlsError(certPath.string() + ": cannot build the CA certificate");

  std::string keyText = keyPem(key.get());
  std::string certText = certificatePem(cert.get());
  if (keyText.empty() || certText.empty()) return tlsError(dir.string() + ": cannot encode");
  // O_EXCL on both: a CA created concurrently is never overwritten either.
  if (auto written = writeNewFile(keyPath, keyText, kKeyMode); !written) return written;
  if (auto written = writeNewFile(certPath, certText, kCertMode); !written) {
    ::unlink(keyPath.c_str());
    return written;
  }
  return {};
}

Status issueCertificate(const fs::path& dir, const std::string& name,
                        const std::vector<std::string>& ips, Existing existing) {
  if (auto checked = checkCertificateName(name); !checked) return checked;
  for (const auto& ip : ips)
    if (auto checked = checkIpAddress(ip); !checked) return checked;
  std::error_code ec;
  if (existing == Existing::refuse)
    for (const auto& path : {dir / (name + ".crt"), dir / (name + ".key")})
      if (fs::exists(fs::symlink_status(path, ec)))
        return roam::makeError(ErrorCode::Conflict,
                               path.string() + ": already exists; refusing to replace it");

  auto caCertRead = readCertificate(dir / "ca.crt");
  if (!caCertRead) return caCertRead.error();
  auto caKeyRead = readKey(dir / "ca.key");
  if (!caKeyRead) return caKeyRead.error();
  const auto& caCert = *caCertRead;
  const auto& caKey = *caKeyRead;
  if (X509_check_private_key(caCert.get(), caKey.get()) != 1)
    return tlsError((dir / "ca.key").string() + ": does not match " + (dir / "ca.crt").string());

  const fs::path certPath = dir / (name + ".crt");
  const fs::path keyPath = dir / (name + ".key");
  auto key = generateKey();
  if (!key) return tlsError(keyPath.string() + ": cannot generate an EC P-256 key");
  auto cert = newCertificate(key.get(), name, kLeafDays);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(caCert.get())) != 1 ||
      !addExtension(cert.get(), caCert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), caCert.get(), NID_key_usage, "critical,digitalSignature") ||
      !addExtension(cert.get(), caCert.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !addExtension(cert.get(), caCert.get(), NID_subject_key_identifier, "hash") ||
      !addExtension(cert.get(), caCert.get(), NID_authority_key_identifier, "keyid:always") ||
      !addSubjectAltNames(cert.get(), name, ips) ||
      X509_sign(cert.get(), caKey.get(), EVP_sha256()) == 0)
    return tlsError(certPath.string() + ": cannot build the certificate");

  std::string keyText = keyPem(key.get());
  std::string certText = certificatePem(cert.get());
  if (keyText.empty() || certText.empty()) return tlsError(certPath.string() + ": cannot encode");
  // Key first: a crash in between leaves a new key beside the old certificate,
  // which makeTlsContext rejects as a mismatch rather than using silently.
  if (auto replaced = replaceFile(keyPath, keyText, kKeyMode); !replaced) return replaced;
  if (auto replaced = replaceFile(certPath, certText, kCertMode); !replaced) return replaced;
  return {};
}

}  // namespace roam::agent
