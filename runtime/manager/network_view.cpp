#include "runtime/manager/network_view.hpp"

namespace roam::runtime {

NetworkView::NetworkView(Vib& vib, double windowSeconds) : vib_(&vib), window_(windowSeconds) {}

NetworkView::NetworkView(std::unique_ptr<lang::InMemoryState> state) : fixed_(std::move(state)) {}

roam::Result<std::shared_ptr<const lang::NetworkState>> NetworkView::snapshot(double now) {
  if (!vib_) {
    std::lock_guard lock(mutex_);
    return std::shared_ptr<const lang::NetworkState>(fixed_);
  }
  auto snap = vib_->snapshot(now, window_);
  if (!snap) return snap.error();
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
