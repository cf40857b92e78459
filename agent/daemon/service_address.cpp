#include "agent/daemon/service_address.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>

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

 private:
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

}  // namespace

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
    if (!needed.complete || needed.present.contains(*it) || needed.running.contains(*it)) {
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

void releaseRetiredAddress(ServiceAddresses& addresses, const std::string& socket,
                           const ContainerSpec& spec, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto released = addresses.release(*ip, runningServiceAddresses(socket)); !released.ok())
    note += (note.empty() ? "" : "; ") + std::string("could not release the service address ") +
            *ip + ": " + released.error().message;
}

void reclaimKeptAddress(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return;
  if (auto claimed = addresses.claim(*ip); !claimed.ok())
    note += (note.empty() ? "" : "; ") + std::string("could not reclaim the service address ") +
            *ip + ": " + claimed.error().message;
}

roam::Status claimForStart(ServiceAddresses& addresses, const ContainerSpec& spec) {
  auto ip = serviceAddressOf(spec);
  if (!ip) return {};
  if (auto claimed = addresses.claim(*ip); !claimed.ok()) {
    (void)addresses.release(*ip);  // added but not announced: nothing is left
    return roam::Error{claimed.error().code,
                       "cannot claim the service address " + *ip + ": " + claimed.error().message};
  }
  return {};
}

}  // namespace roam::agent
