// distributed.cpp: c10d process groups (TCPStore rendezvous, Gloo on CPU
// where gloo's headers were found, NCCL on CUDA in CUDA builds) with
// all-reduce, broadcast and barrier.
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/cuda.h>
#ifdef TT_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/version.h>
#ifdef TT_BUILT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "shim.h"

namespace {
// The collectives' common base: c10d::Backend since libtorch 2.0
// (ProcessGroup became a wrapper around backends), c10d::ProcessGroup before.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

struct Group {
  c10::intrusive_ptr<Backend> gloo;  // CPU tensors and barriers; CUDA tensors too without nccl
  c10::intrusive_ptr<Backend> nccl;  // CUDA tensors, when the group was made with "nccl"
  at::Device gpu{at::kCPU};          // an nccl group's GPU, through which it passes CPU tensors without Gloo
  std::chrono::milliseconds timeout;
  int size;
};

Group &G(tt_pg g) { return *reinterpret_cast<Group *>(g); }

void wait(Group &g, const c10::intrusive_ptr<c10d::Work> &work) {
  if (!work->wait(g.timeout)) throw std::runtime_error("collective operation timed out");
}

// collective runs op (one tensor in, the work out) on the backend that takes
// t, as PyTorch dispatches "cpu:gloo,cuda:nccl": NCCL for CUDA tensors of an
// nccl group, Gloo for the rest; an nccl group built without Gloo (a pip
// wheel ships no gloo headers) copies a CPU tensor to its GPU and back.
template <class Op>
void collective(Group &g, at::Tensor &t, Op op) {
  if (t.is_cuda() && g.nccl) {
    wait(g, op(*g.nccl, t));
  } else if (g.gloo) {
    wait(g, op(*g.gloo, t));
  } else {
    at::Tensor staged = t.to(g.gpu);
    wait(g, op(*g.nccl, staged));
    at::NoGradGuard no_grad;
    t.copy_(staged);
  }
}

#ifdef TT_WITH_GLOO
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
#endif

#ifdef TT_BUILT_WITH_NCCL
// NCCL for CUDA tensors, on its own key prefix in the store.
c10::intrusive_ptr<Backend> nccl_backend(const c10::intrusive_ptr<c10d::Store> &store, int rank, int world_size,
                                         std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", store), rank,
                                                     world_size, opts);
}
#endif

// Throws, saying why, unless kind names a backend this shim was built with.
void require_backend(const std::string &kind) {
  if (kind != "gloo" && kind != "nccl")
    throw std::invalid_argument("unknown process-group backend \"" + kind + "\" (want gloo or nccl)");
  if (kind == "nccl" && !tt_nccl_available())
    throw std::invalid_argument(std::string("the nccl backend needs a libtunetorch built against a CUDA libtorch "
                                            "with NCCL; this one is built against libtorch ") +
                                tt_version() + " without NCCL: use the gloo backend");
  if (kind == "gloo" && !tt_gloo_available())
    throw std::invalid_argument(std::string("the gloo backend needs gloo's headers, which were not found when "
                                            "this libtunetorch was built against libtorch ") +
                                tt_version() + " (pip wheels do not ship them; Debian: libgloo-dev)" +
                                (tt_nccl_available() ? ": use the nccl backend" : ""));
}
}  // namespace

extern "C" {

int tt_nccl_available(void) {
#ifdef TT_BUILT_WITH_NCCL
  return 1;
#else
  return 0;
#endif
}

int tt_gloo_available(void) {
#ifdef TT_WITH_GLOO
  return 1;
#else
  return 0;
#endif
}

tt_error tt_pg_new(const char *backend, const char *master_addr, int master_port, int rank, int world_size,
                   int local_rank, int timeout_ms, int serve_store, const char *prefix, tt_pg *out) {
  TT_TRY
  const std::string kind = backend == nullptr ? "" : backend;
  require_backend(kind);
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
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  // libtorch 2.4 made the libuv store the default, but builds without libuv
  // (Debian's among them) then refuse to start: the classic store works in
  // every build, talks to either kind, and is ample for a rendezvous.
  so.useLibUV = false;
#endif
  c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(master_addr, so);
  if (prefix != nullptr && *prefix != '\0') store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
  auto group = std::make_unique<Group>();
#ifdef TT_WITH_GLOO
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(gloo_device(master_addr));
  group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, opts);
#endif
#ifdef TT_BUILT_WITH_NCCL
  if (kind == "nccl") {
    group->nccl = nccl_backend(store, rank, world_size, timeout);
    group->gpu = tt::device(TT_CUDA, local_rank % std::max(1, static_cast<int>(torch::cuda::device_count())));
  }
#endif
  (void)local_rank;
  group->timeout = timeout;
  group->size = world_size;
  *out = reinterpret_cast<tt_pg>(group.release());
  TT_CATCH
}

void tt_pg_free(tt_pg g) { delete reinterpret_cast<Group *>(g); }

tt_error tt_pg_allreduce(tt_pg g, const tt_tensor *ts, int n, int average) {
  TT_TRY
  std::vector<at::Tensor> v;
  for (int i = 0; i < n; i++) v.push_back(tt::T(ts[i]));
  // One tensor per call: Gloo takes one per call on CPU, and each may go to another backend.
  for (auto &t : v) {
    collective(G(g), t, [](Backend &b, at::Tensor &x) {
      std::vector<at::Tensor> one{x};
      return b.allreduce(one, c10d::AllreduceOptions{c10d::ReduceOp::SUM});
    });
    if (average) {
      at::NoGradGuard no_grad;
      t.div_(G(g).size);
    }
  }
  TT_CATCH
}

tt_error tt_pg_broadcast(tt_pg g, tt_tensor t, int root) {
  TT_TRY
  collective(G(g), tt::T(t), [root](Backend &b, at::Tensor &x) {
    std::vector<at::Tensor> one{x};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    return b.broadcast(one, o);
  });
  TT_CATCH
}

tt_error tt_pg_barrier(tt_pg g) {
  TT_TRY
  Group &grp = G(g);
  if (grp.gloo) {
    wait(grp, grp.gloo->barrier());
  } else {  // an nccl group without Gloo: NCCL's barrier, on the group's GPU
    c10d::BarrierOptions o;
    o.device_ids = {grp.gpu.index()};
    wait(grp, grp.nccl->barrier(o));
  }
  TT_CATCH
}

}  // extern "C"
