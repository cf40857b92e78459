#include "runtime/manager/network_view.hpp"

namespace roam::runtime {

NetworkView::NetworkView(Vib& vib, double windowSeconds) : vib_(&vib), window_(windowSeconds) {}

NetworkView::NetworkView(std::unique_ptr<lang::InMemoryState> state) : fixed_(std::move(state)) {}

std::shared_ptr<const lang::NetworkState> NetworkView::snapshot(double now, std::string* error) {
  if (!vib_) {
    std::lock_guard lock(mutex_);
    return fixed_;
  }
  auto snap = vib_->snapshot(now, window_);
  if (!snap) {
    if (error) *error = snap.error().message;
    return nullptr;
  }
  return std::shared_ptr<const lang::NetworkState>(std::move(*snap));
}

void NetworkView::setContainers(std::vector<lang::ContainerInfo> containers) {
  if (vib_) {
    (void)vib_->setContainers(containers);  // a failure is kept in vib.lastError()
    return;
  }
  std::lock_guard lock(mutex_);
  lang::NetworkData data = fixed_->data();
  if (data.containers == containers) return;
  data.containers = std::move(containers);
  fixed_ = std::make_shared<lang::InMemoryState>(std::move(data), fixed_->dataAgeSeconds());
}

}  // namespace roam::runtime
