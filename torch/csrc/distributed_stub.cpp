// distributed_stub.cpp: the process-group entry points of a shim built
// without c10d (-DTUNETORCH_DISTRIBUTED=OFF, or neither gloo's headers nor
// NCCL found); each says so.
#include "shim.h"

namespace {
tt_error no_gloo() {
  return tt::dup_string(
      "this libtunetorch was built without c10d process groups (neither gloo's headers nor NCCL were found, "
      "or -DTUNETORCH_DISTRIBUTED=OFF): install gloo's headers (Debian: libgloo-dev) and rebuild the shim");
}
}  // namespace

extern "C" {

tt_error tt_pg_new(const char *, const char *, int, int, int, int, int, int, const char *, tt_pg *) { return no_gloo(); }
int tt_nccl_available(void) { return 0; }
int tt_gloo_available(void) { return 0; }
void tt_pg_free(tt_pg) {}
tt_error tt_pg_allreduce(tt_pg, const tt_tensor *, int, int) { return no_gloo(); }
tt_error tt_pg_broadcast(tt_pg, tt_tensor, int) { return no_gloo(); }
tt_error tt_pg_barrier(tt_pg) { return no_gloo(); }

}  // extern "C"
