// blas_core.cpp: which of OpenBLAS's kernel sets its matrix products use.
//
// A DYNAMIC_ARCH OpenBLAS (Debian's) picks a kernel set for the CPU when it
// is loaded, by the CPU's family and model. Versions before 0.3.25 fall back
// to the Prescott kernels (SSE3) on Intel models they do not know, whatever
// the CPU's instruction sets (OpenBLAS issue 4267): on a 2-core Xeon with
// AVX-512 (family 6, model 207), Debian 12's 0.3.21 ran a float32 matrix
// product at 45 GFLOP/s against 252 with the SkylakeX kernels. OpenBLAS
// reads OPENBLAS_CORETYPE only then; gotoblas_dynamic_quit and
// gotoblas_dynamic_init, the pair its own load and unload run, pick again.
#include <dlfcn.h>
#include <stdlib.h>
#include <strings.h>

#include <string>

#include "shim.h"

namespace {

// openblas looks up OpenBLAS's functions in the process (libtorch links
// libblas.so.3, which may be any BLAS); a member is null where absent.
struct openblas {
  using name_fn = char *(*)(void);
  using void_fn = void (*)(void);
  name_fn corename = reinterpret_cast<name_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  void_fn quit = reinterpret_cast<void_fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
  void_fn init = reinterpret_cast<void_fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));

  bool dynamic() const { return corename != nullptr && quit != nullptr && init != nullptr; }

  // pick has OpenBLAS choose its kernels again, as at load time with
  // OPENBLAS_CORETYPE=name (name empty: by the CPU), and leaves the
  // variable as it was.
  void pick(const char *name) const {
    const char *was = getenv("OPENBLAS_CORETYPE");
    std::string saved = was ? was : "";
    if (*name) {
      setenv("OPENBLAS_CORETYPE", name, 1);
    } else {
      unsetenv("OPENBLAS_CORETYPE");
    }
    quit();
    init();
    if (was) {
      setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
    } else {
      unsetenv("OPENBLAS_CORETYPE");
    }
  }
};

}  // namespace

extern "C" {

const char *tt_blas_core(void) {
  openblas ob;
  return ob.corename == nullptr ? "" : ob.corename();
}

int tt_set_blas_core(const char *name) {
  openblas ob;
  if (!ob.dynamic() || name == nullptr || *name == 0) return 0;
  std::string before = ob.corename();
  ob.pick(name);
  if (strcasecmp(ob.corename(), name) == 0) return 1;
  ob.pick(before.c_str());  // not in this build: back to the kernels it had
  return 0;
}

}  // extern "C"
