// winograd_stub.cpp: the Winograd entry points of a shim built without
// oneDNN's headers for the oneDNN its libtorch uses (see winograd.cpp and
// CMakeLists.txt); each says so.
#include "shim.h"

namespace {
const char *kNoWinograd =
    "this libtunetorch was built without oneDNN's Winograd convolution: it needs Debian's libtorch (which uses the "
    "system's oneDNN 2.x) and the headers of that oneDNN and of ideep (Debian: libdnnl-dev libideep-dev), then a "
    "rebuild of the shim";
}  // namespace

extern "C" {

int tt_winograd_available(char **why) {
  *why = tt::dup_string(kNoWinograd);
  return 0;
}
int tt_winograd_kernels(void) { return 0; }
tt_error tt_module_use_winograd(tt_module, int64_t, int, int64_t *) { return tt::dup_string(kNoWinograd); }
tt_error tt_module_fuse_convolutions(tt_module, int64_t *) { return tt::dup_string(kNoWinograd); }
tt_error tt_module_winograd_counts(tt_module, int64_t *, int64_t *, int64_t *) { return tt::dup_string(kNoWinograd); }
tt_error tt_module_release_direct_weights(tt_module, int64_t, int64_t *) { return tt::dup_string(kNoWinograd); }
tt_error tt_winograd_weights_compare(int64_t, int64_t, uint64_t, int64_t *, int64_t *) {
  return tt::dup_string(kNoWinograd);
}
tt_error tt_winograd_weights_time(int64_t, int64_t, int, int64_t, int64_t *) { return tt::dup_string(kNoWinograd); }
tt_error tt_winograd_layouts_equal(int64_t, int64_t, int64_t, int64_t, int64_t, int *) {
  return tt::dup_string(kNoWinograd);
}

}  // extern "C"
