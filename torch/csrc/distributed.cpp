// distributed.cpp: c10d process groups (TCPStore rendezvous, Gloo on CPU)
// with all-reduce, broadcast and barrier.
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim.h"

namespace {
struct Group {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::chrono::milliseconds timeout;
  int size;
};

Group &G(tt_pg g) { return *reinterpret_cast<Group *>(g); }

// The Gloo device: GLOO_SOCKET_IFNAME names an interface, as in PyTorch;
// a loopback master address keeps everything on 127.0.0.1; otherwise the
// address the host name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &master) {
  if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0')
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (master == "127.0.0.1" || master == "localhost" || master == "::1")
    return c10d::ProcessGroupGloo::createDeviceForHostname(master);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

void wait(Group &g, const c10::intrusive_ptr<c10d::Work> &work) {
  if (!work->wait(g.timeout)) throw std::runtime_error("collective operation timed out");
}
}  // namespace

extern "C" {

tt_error tt_pg_new_gloo(const char *master_addr, int master_port, int rank, int world_size,
                        int timeout_ms, int serve_store, const char *prefix, tt_pg *out) {
  TT_TRY
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("rank " + std::to_string(rank) + " is not in a world of " +
                                std::to_string(world_size));
  if (master_port <= 0 || master_port > 65535)
    throw std::invalid_argument("master port " + std::to_string(master_port) + " is not a TCP port");
  auto timeout = std::chrono::milliseconds(timeout_ms);
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(master_port);
  so.isServer = serve_store != 0;
  so.numWorkers = static_cast<std::size_t>(world_size);
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(master_addr, so);
  if (prefix != nullptr && *prefix != '\0') store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(gloo_device(master_addr));
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, opts);
  *out = reinterpret_cast<tt_pg>(new Group{pg, timeout, world_size});
  TT_CATCH
}

void tt_pg_free(tt_pg g) { delete reinterpret_cast<Group *>(g); }

tt_error tt_pg_allreduce(tt_pg g, const tt_tensor *ts, int n, int average) {
  TT_TRY
  std::vector<at::Tensor> v;
  for (int i = 0; i < n; i++) v.push_back(tt::T(ts[i]));
  // Gloo reduces one tensor per call on CPU.
  for (auto &t : v) {
    std::vector<at::Tensor> one{t};
    wait(G(g), G(g).pg->allreduce(one, c10d::AllreduceOptions{c10d::ReduceOp::SUM}));
    if (average) {
      at::NoGradGuard no_grad;
      t.div_(G(g).size);
    }
  }
  TT_CATCH
}

tt_error tt_pg_broadcast(tt_pg g, tt_tensor t, int root) {
  TT_TRY
  std::vector<at::Tensor> one{tt::T(t)};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  wait(G(g), G(g).pg->broadcast(one, o));
  TT_CATCH
}

tt_error tt_pg_barrier(tt_pg g) {
  TT_TRY
  wait(G(g), G(g).pg->barrier());
  TT_CATCH
}

}  // extern "C"
