#include "agent/daemon/service_address.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "agent/docker/docker_client.hpp"

extern char** environ;

namespace roam::agent {

namespace {

// A file descriptor, closed when it goes.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

roam::Error sysError(const std::string& what) {
  return roam::Error{roam::ErrorCode::Io, what + ": " + std::strerror(errno)};
}

// Runs `ip ARGS...` and returns what it printed; its stderr is the error.
roam::Result<std::string> runIp(const std::vector<std::string>& args) {
  std::array<int, 2> out{}, err{};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) return sysError("pipe");
  UniqueFd outRead(out[0]), outWrite(out[1]);
  if (::pipe2(err.data(), O_CLOEXEC) != 0) return sysError("pipe");
  UniqueFd errRead(err[0]), errWrite(err[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, errWrite.get(), STDERR_FILENO);
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "ip", &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  outWrite.reset();
  errWrite.reset();
  std::string command = "ip";
  for (const auto& a : args) command += " " + a;
  if (spawned != 0)
    return roam::Error{roam::ErrorCode::Io, command + ": " + std::strerror(spawned)};
  // Small outputs: stdout first, then stderr, never blocks on a full pipe
  // for what `ip` prints here (a few hundred bytes).
  auto drain = [](int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return text;
  };
  std::string stdoutText = drain(outRead.get());
  std::string stderrText = drain(errRead.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!stderrText.empty() && (stderrText.back() == '\n' || stderrText.back() == ' '))
      stderrText.pop_back();
    return roam::Error{roam::ErrorCode::Io,
                       command + ": " + (stderrText.empty() ? "failed" : stderrText)};
  }
  return stdoutText;
}

roam::Result<nlohmann::json> ipJson(const std::vector<std::string>& args) {
  auto text = runIp(args);
  if (!text.ok()) return text.error();
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array())
    return roam::Error{roam::ErrorCode::BadAnswer, "ip " + args.front() + ": unreadable output"};
  return parsed;
}

class KernelHostAddresses final : public HostAddresses {
 public:
  roam::Result<bool> holds(const std::string& ip) override {
    auto dev = deviceHolding(ip);
    if (!dev.ok()) return dev.error();
    return !dev->empty();
  }

  roam::Status add(const std::string& ip) override {
    auto dev = deviceHolding(ip);
    if (!dev.ok()) return dev.error();
    if (!dev->empty()) return {};
    auto route = ipJson({"-j", "route", "get", ip});
    if (!route.ok()) return route.error();
    const std::string out =
        route->empty() ? std::string() : (*route)[0].value("dev", std::string());
    if (out.empty())
      return roam::Error{roam::ErrorCode::NotFound, "no interface here routes to " + ip};
    auto added = runIp({"addr", "add", ip + "/32", "dev", out});
    if (!added.ok()) return added.error();
    return {};
  }

  roam::Status remove(const std::string& ip) override {
    auto dev = deviceHolding(ip);
    if (!dev.ok()) return dev.error();
    if (dev->empty()) return {};
    auto removed = runIp({"addr", "del", ip + "/32", "dev", *dev});
    if (!removed.ok()) return removed.error();
    return {};
  }

  roam::Status announce(const std::string& ip) override {
    auto dev = deviceHolding(ip);
    if (!dev.ok()) return dev.error();
    if (dev->empty()) return roam::Error{roam::ErrorCode::NotFound, ip + " is not held here"};
    const unsigned index = if_nametoindex(dev->c_str());
    if (index == 0) return sysError("interface " + *dev);
    UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (probe.get() < 0) return sysError("socket");
    ifreq request{};
    std::strncpy(request.ifr_name, dev->c_str(), IFNAMSIZ - 1);
    if (::ioctl(probe.get(), SIOCGIFHWADDR, &request) != 0)
      return sysError("the MAC address of " + *dev);
    std::array<std::uint8_t, 6> mac{};
    std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
    in_addr address{};
    if (::inet_pton(AF_INET, ip.c_str(), &address) != 1)
      return roam::Error{roam::ErrorCode::BadInput, ip + " is not an IPv4 address"};

    UniqueFd packet(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP)));
    if (packet.get() < 0) return sysError("packet socket");
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = static_cast<int>(index);
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    // An ARP request and an ARP reply, both "IP is at MAC" (sender and
    // target IP the same): Linux lets either override an existing entry at
    // once (its lock time does not apply to gratuitous ARP).
    for (const std::uint16_t op : {1, 2}) {
      std::array<std::uint8_t, 28> arp{};
      arp[0] = 0, arp[1] = 1;        // Ethernet
      arp[2] = 0x08, arp[3] = 0x00;  // IPv4
      arp[4] = 6, arp[5] = 4;
      arp[6] = 0, arp[7] = static_cast<std::uint8_t>(op);
      std::memcpy(&arp[8], mac.data(), 6);
      std::memcpy(&arp[14], &address, 4);
      if (op == 2) std::memset(&arp[18], 0xff, 6);
      std::memcpy(&arp[24], &address, 4);
      if (::sendto(packet.get(), arp.data(), arp.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof to) != static_cast<ssize_t>(arp.size()))
        return sysError("gratuitous ARP for " + ip + " on " + *dev);
    }
    return {};
  }

  roam::Status hold(const std::string& ip) override {
    if (auto bad = checkIpv4(ip); !bad.ok()) return bad;
    // A table per address, so that lifting the hold leaves nothing. One
    // transaction, idempotent: the chain is flushed before its one rule.
    const auto table = "inet " + holdTable(ip);
    return runNftables("add table " + table + "\nadd chain " + table +
                       " input { type filter hook input priority -150; policy accept; }\n" +
                       "flush chain " + table + " input\nadd rule " + table +
                       " input meta l4proto tcp ip daddr " + ip + " drop\n");
  }

  roam::Status unhold(const std::string& ip) override {
    if (auto bad = checkIpv4(ip); !bad.ok()) return bad;
    return nothingHeldWithout(runNftables("delete table inet " + holdTable(ip), true));
  }

  roam::Status unholdAll() override {
    std::string tables;
    auto listed = runNftables("list tables inet", false, &tables);
    if (!listed.ok()) return nothingHeldWithout(listed);
    // Lines "table inet NAME".
    for (std::size_t at = 0;
         (at = tables.find("table inet roam_hold_", at)) != std::string::npos;) {
      const auto name = tables.substr(at + 11, tables.find('\n', at) - at - 11);
      if (auto deleted = runNftables("delete table inet " + name, true); !deleted.ok())
        return deleted;
      at += 11;
    }
    return {};
  }

  roam::Status dropCriuLock(const std::string& runId) override {
    // A run id is a UUID: nothing else reaches the command.
    const bool plain = !runId.empty() && runId.size() <= 36 &&
                       runId.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos;
    if (!plain)
      return roam::Error{roam::ErrorCode::BadInput, "'" + runId + "' is not a CRIU run id"};
    // CRIU 4.2 prints "inet CRIU-RUN_ID" into 32 bytes: its table's name is
    // cut after 21 characters of the run id, and so must ours be.
    const std::string table = ("inet CRIU-" + runId).substr(0, 31);
    return nothingHeldWithout(runNftables("delete table " + table, true));
  }

 private:
  // roam_hold_10_0_1_5 for 10.0.1.5.
  static std::string holdTable(const std::string& ip) {
    std::string name = "roam_hold_" + ip;
    std::replace(name.begin() + 10, name.end(), '.', '_');
    return name;
  }

  // Without libnftables nothing can have been held (nor locked by CRIU's
  // nftables lock): lifting it is done.
  static roam::Status nothingHeldWithout(roam::Status status) {
    if (!status.ok() && status.error().code == roam::ErrorCode::Unsupported) return {};
    return status;
  }

  static roam::Status checkIpv4(const std::string& ip) {
    in_addr address{};
    if (::inet_pton(AF_INET, ip.c_str(), &address) != 1)
      return roam::Error{roam::ErrorCode::BadInput, ip + " is not an IPv4 address"};
    return {};
  }

  // The interface holding IP, "" when none does.
  static roam::Result<std::string> deviceHolding(const std::string& ip) {
    auto links = ipJson({"-j", "-4", "addr", "show", "to", ip + "/32"});
    if (!links.ok()) return links.error();
    for (const auto& link : *links)
      for (const auto& info : link.value("addr_info", nlohmann::json::array()))
        if (info.value("local", std::string()) == ip) return link.value("ifname", std::string());
    return std::string();
  }
};

// libnftables, loaded once (the agent runs without it unless it holds
// connections). Its API as of nftables 0.9.3 and later.
struct Nftables {
  void* (*ctxNew)(std::uint32_t) = nullptr;
  void (*ctxFree)(void*) = nullptr;
  int (*bufferOutput)(void*) = nullptr;
  int (*bufferError)(void*) = nullptr;
  const char* (*errorBuffer)(void*) = nullptr;
  const char* (*outputBuffer)(void*) = nullptr;
  int (*runCmd)(void*, const char*) = nullptr;
  std::string missing;  // why it cannot be used, "" when it can

  static const Nftables& get() {
    static const Nftables loaded = load();
    return loaded;
  }

 private:
  static Nftables load() {
    Nftables api;
    void* handle = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      api.missing = std::string("libnftables.so.1 cannot be loaded (") + (why ? why : "?") + ")";
      return api;
    }
    auto symbol = [&](const char* name) {
      void* found = ::dlsym(handle, name);
      if (!found && api.missing.empty()) api.missing = std::string("libnftables lacks ") + name;
      return found;
    };
    api.ctxNew = reinterpret_cast<void* (*)(std::uint32_t)>(symbol("nft_ctx_new"));
    api.ctxFree = reinterpret_cast<void (*)(void*)>(symbol("nft_ctx_free"));
    api.bufferOutput = reinterpret_cast<int (*)(void*)>(symbol("nft_ctx_buffer_output"));
    api.bufferError = reinterpret_cast<int (*)(void*)>(symbol("nft_ctx_buffer_error"));
    api.errorBuffer = reinterpret_cast<const char* (*)(void*)>(symbol("nft_ctx_get_error_buffer"));
    api.outputBuffer =
        reinterpret_cast<const char* (*)(void*)>(symbol("nft_ctx_get_output_buffer"));
    api.runCmd = reinterpret_cast<int (*)(void*, const char*)>(symbol("nft_run_cmd_from_buffer"));
    return api;  // the handle stays open for the process's life
  }
};

// Reads a protobuf varint at POS of BYTES; false when it runs off the end.
bool readVarint(std::string_view bytes, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size()) return false;
    const auto byte = static_cast<std::uint8_t>(bytes[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::uint32_t littleEndian32(std::string_view bytes, std::size_t pos) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | static_cast<std::uint8_t>(bytes[pos + static_cast<std::size_t>(i)]);
  return value;
}

}  // namespace

roam::Status runNftables(const std::string& commands, bool missingIsDone, std::string* output) {
  const auto& nft = Nftables::get();
  if (!nft.missing.empty())
    return roam::Error{roam::ErrorCode::Unsupported, "nftables: " + nft.missing};
  void* ctx = nft.ctxNew(0);  // NFT_CTX_DEFAULT
  if (!ctx) return roam::Error{roam::ErrorCode::Internal, "nftables: no context"};
  // Buffered: nothing is printed on the agent's own output.
  nft.bufferOutput(ctx);
  nft.bufferError(ctx);
  const int rc = nft.runCmd(ctx, commands.c_str());
  // Read once: libnftables empties a buffer as it hands it out.
  if (output) {
    const char* printed = nft.outputBuffer(ctx);
    *output = printed ? printed : "";
  }
  const char* buffered = nft.errorBuffer(ctx);
  std::string error = buffered ? buffered : "";
  nft.ctxFree(ctx);
  if (rc == 0) return {};
  if (missingIsDone && error.find("No such file or directory") != std::string::npos) return {};
  // The first line says what went wrong; the rest repeats the command.
  if (auto eol = error.find('\n'); eol != std::string::npos) error.resize(eol);
  std::string first = commands.substr(0, commands.find('\n'));
  return roam::Error{roam::ErrorCode::Io, "nftables (" + first +
                                              (first.size() < commands.size() ? " ...)" : ")") +
                                              ": " + (error.empty() ? "failed" : error)};
}

roam::Result<std::string> criuRunIdFromInventory(std::string_view bytes) {
  // INVENTORY_MAGIC, then the entry's size and the inventory_entry message.
  constexpr std::uint32_t kInventoryMagic = 0x58313116;
  auto bad = [](const std::string& why) {
    return roam::Error{roam::ErrorCode::BadInput, "inventory.img: " + why};
  };
  if (bytes.size() < 8 || littleEndian32(bytes, 0) != kInventoryMagic)
    return bad("not a CRIU inventory image");
  const std::uint32_t size = littleEndian32(bytes, 4);
  if (bytes.size() - 8 < size) return bad("truncated");
  const std::string_view message = bytes.substr(8, size);
  for (std::size_t pos = 0; pos < message.size();) {
    std::uint64_t key = 0, length = 0, ignored = 0;
    if (!readVarint(message, pos, key)) return bad("malformed");
    switch (key & 7) {
      case 0:
        if (!readVarint(message, pos, ignored)) return bad("malformed");
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2:
        if (!readVarint(message, pos, length) || length > message.size() - pos)
          return bad("malformed");
        if ((key >> 3) == 13) return std::string(message.substr(pos, length));
        pos += length;
        break;
      default:
        return bad("malformed");
    }
  }
  return bad("no dump_criu_run_id (a dump by CRIU older than 3.18?)");
}

roam::Result<std::string> criuRunIdOf(const std::filesystem::path& checkpointDir) {
  std::ifstream in(checkpointDir / "inventory.img", std::ios::binary);
  if (!in)
    return roam::Error{roam::ErrorCode::NotFound, "no inventory.img in " + checkpointDir.string()};
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return criuRunIdFromInventory(bytes);
}

roam::Result<std::optional<std::string>> serviceAddressFromLabels(const nlohmann::json& labels) {
  if (!labels.is_object() || !labels.contains(kServiceAddressLabel))
    return std::optional<std::string>();
  const auto& value = labels[kServiceAddressLabel];
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  auto bad = [&](const std::string& why) {
    return roam::Error{roam::ErrorCode::BadInput,
                       std::string("label ") + kServiceAddressLabel + "='" + text + "': " + why};
  };
  in_addr address{};
  if (!value.is_string() || ::inet_pton(AF_INET, text.c_str(), &address) != 1)
    return bad("not an IPv4 address in dotted form (e.g. 10.0.1.5, no prefix length)");
  const std::uint32_t host = ntohl(address.s_addr);
  const std::uint8_t first = static_cast<std::uint8_t>(host >> 24);
  if (host == 0 || host == 0xffffffffu || first == 127 || first >= 224)
    return bad("not a unicast address a host can hold");
  return std::optional<std::string>(text);
}

std::optional<std::string> serviceAddressOf(const ContainerSpec& spec) {
  if (!spec.createBody.is_object() || !spec.createBody.contains("Labels")) return std::nullopt;
  auto address = serviceAddressFromLabels(spec.createBody["Labels"]);
  return address.ok() ? *address : std::nullopt;
}

HostAddressesPtr makeKernelHostAddresses() {
  return std::make_unique<KernelHostAddresses>();
}

ServiceAddresses::ServiceAddresses(HostAddressesPtr host) : host_(std::move(host)) {}

roam::Status ServiceAddresses::claim(const std::string& ip) {
  std::lock_guard lock(mutex_);
  if (auto added = host_->add(ip); !added.ok()) return added;
  owned_.insert(ip);
  return host_->announce(ip);
}

roam::Status ServiceAddresses::release(const std::string& ip, const std::set<std::string>& inUse) {
  if (inUse.contains(ip)) return {};
  std::lock_guard lock(mutex_);
  if (auto removed = host_->remove(ip); !removed.ok()) return removed;
  owned_.erase(ip);
  return {};
}

std::set<std::string> ServiceAddresses::owned() {
  std::lock_guard lock(mutex_);
  return owned_;
}

roam::Status ServiceAddresses::hold(const std::string& ip) {
  std::lock_guard lock(mutex_);
  auto held = host_->hold(ip);
  if (held.ok()) held_.insert(ip);
  return held;
}

roam::Status ServiceAddresses::unhold(const std::string& ip) {
  std::lock_guard lock(mutex_);
  auto lifted = host_->unhold(ip);
  if (lifted.ok()) held_.erase(ip);
  return lifted;
}

roam::Status ServiceAddresses::unholdAll() {
  std::lock_guard lock(mutex_);
  auto lifted = host_->unholdAll();
  if (lifted.ok()) held_.clear();
  return lifted;
}

roam::Status ServiceAddresses::dropCriuLock(const std::string& runId) {
  std::lock_guard lock(mutex_);
  return host_->dropCriuLock(runId);
}

std::vector<std::string> ServiceAddresses::reconcile(const std::function<Needed()>& here) {
  std::vector<std::string> problems;
  std::lock_guard lock(mutex_);
  const auto needed = here();
  for (const auto& ip : needed.running) {
    auto held = host_->holds(ip);
    if (held.ok() && *held) continue;
    roam::Status done = held.ok() ? host_->add(ip) : roam::Status(held.error());
    if (done.ok()) {
      owned_.insert(ip);
      done = host_->announce(ip);
    }
    if (!done.ok()) problems.push_back("cannot claim " + ip + ": " + done.error().message);
  }
  for (auto it = owned_.begin(); it != owned_.end();) {
    // A held address belongs to a migration whose container is stopped by
    // its checkpoint: it is needed for the restore (here or there).
    if (!needed.complete || needed.present.contains(*it) || needed.running.contains(*it) ||
        held_.contains(*it)) {
      ++it;
      continue;
    }
    if (auto removed = host_->remove(*it); !removed.ok()) {
      problems.push_back("cannot release " + *it + ": " + removed.error().message);
      ++it;
    } else {
      it = owned_.erase(it);
    }
  }
  return problems;
}

std::set<std::string> runningServiceAddresses(const std::string& socket,
                                              const std::string& exceptId) {
  std::set<std::string> addresses;
  auto list = DockerClient(socket).listContainers(false);  // running (and paused) only
  if (!list.ok() || !list.body.is_array()) return addresses;
  for (const auto& c : list.body) {
    if (!exceptId.empty() && c.value("Id", std::string()) == exceptId) continue;
    auto address = serviceAddressFromLabels(c.value("Labels", nlohmann::json::object()));
    if (address.ok() && *address) addresses.insert(**address);
  }
  return addresses;
}

ServiceAddresses::Needed serviceAddressesHere(const std::string& socket) {
  ServiceAddresses::Needed needed;
  auto list = DockerClient(socket).listContainers(true);
  if (!list.ok() || !list.body.is_array()) {
    needed.complete = false;  // the engine did not answer: release nothing
    return needed;
  }
  for (const auto& c : list.body) {
    auto address = serviceAddressFromLabels(c.value("Labels", nlohmann::json::object()));
    if (!address.ok() || !*address) continue;
    const auto state = c.value("State", std::string());
    if (state == "running" || state == "paused") needed.running.insert(**address);
    if (state == "running" || state == "paused" || state == "restarting" || state == "created")
      needed.present.insert(**address);
  }
  return needed;
}

std::optional<std::string> containerServiceAddress(const std::string& socket,
                                                   const std::string& container) {
  auto inspect = DockerClient(socket).inspectContainer(container);
  if (!inspect.ok()) return std::nullopt;
  auto address = serviceAddressFromLabels(
      inspect.body.value("Config", nlohmann::json::object()).value("Labels", nlohmann::json()));
  return address.ok() ? *address : std::nullopt;
}

namespace {

void addNote(std::string& note, const std::string& what) {
  note += (note.empty() ? "" : "; ") + what;
}

}  // namespace

void holdForDump(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto held = addresses.hold(*ip); !held.ok())
    addNote(note, "could not hold the connections of " + *ip + ": " + held.error().message);
}

void releaseRetiredAddress(ServiceAddresses& addresses, const std::string& socket,
                           const ContainerSpec& spec, std::string& note, bool dumped,
                           const std::string& criuRunId) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto released = addresses.release(*ip, runningServiceAddresses(socket)); !released.ok())
    addNote(note, "could not release the service address " + *ip + ": " + released.error().message);
  // The address is gone: a segment for it is no longer this host's to answer.
  if (dumped) endDumpHold(addresses, spec, criuRunId, note);
}

void reclaimKeptAddress(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto claimed = addresses.claim(*ip); !claimed.ok())
    addNote(note, "could not reclaim the service address " + *ip + ": " + claimed.error().message);
}

void endDumpHold(ServiceAddresses& addresses, const ContainerSpec& spec,
                 const std::string& criuRunId, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto unheld = addresses.unhold(*ip); !unheld.ok())
    addNote(note, "could not lift the hold on " + *ip + ": " + unheld.error().message);
  if (!criuRunId.empty())
    if (auto dropped = addresses.dropCriuLock(criuRunId); !dropped.ok())
      addNote(note, "could not delete CRIU's lock table: " + dropped.error().message);
}

roam::Status claimForStart(ServiceAddresses& addresses, const ContainerSpec& spec, bool restoring) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return {};
  if (restoring)
    if (auto held = addresses.hold(*ip); !held.ok())
      return roam::Error{held.error().code, "cannot hold the connections of " + *ip +
                                                " for the restore: " + held.error().message};
  if (auto claimed = addresses.claim(*ip); !claimed.ok()) {
    (void)addresses.release(*ip);  // added but not announced: nothing is left
    if (restoring) (void)addresses.unhold(*ip);
    return roam::Error{claimed.error().code,
                       "cannot claim the service address " + *ip + ": " + claimed.error().message};
  }
  return {};
}

void endRestoreHold(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto unheld = addresses.unhold(*ip); !unheld.ok())
    addNote(note, "could not lift the hold on " + *ip + ": " + unheld.error().message);
}

}  // namespace roam::agent
