/*
 * tunetorch.h: the C ABI between Go and libtorch.
 *
 * Every function that can fail returns tt_error: NULL on success, otherwise a
 * malloc'd, NUL-terminated message the caller frees with free(). Results are
 * written through out-pointers. No function keeps a thread-local "last error":
 * goroutines move between OS threads, so an error must travel back in the same
 * call that produced it.
 *
 * Handles are opaque. Each tt_tensor / tt_module returned through an
 * out-pointer is owned by the caller and released with tt_tensor_free /
 * tt_module_free.
 */
#ifndef TUNETORCH_H
#define TUNETORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature in this file changes; the Go package refuses a
 * shim whose ABI differs from the one it was written against. */
#define TT_ABI_VERSION 14

typedef char *tt_error;
typedef struct tt_tensor_s *tt_tensor;
typedef struct tt_module_s *tt_module;
typedef struct tt_pg_s *tt_pg;

/* Device types. */
enum { TT_CPU = 0, TT_CUDA = 1 };

/* Element types (the Go Dtype values). */
enum {
  TT_FLOAT32 = 0,
  TT_FLOAT64 = 1,
  TT_FLOAT16 = 2,
  TT_BFLOAT16 = 3,
  TT_INT64 = 4,
  TT_INT32 = 5,
  TT_UINT8 = 6,
  TT_BOOL = 7
};

/* Binary operators for tt_binary and tt_binary_scalar. */
enum { TT_ADD = 0, TT_SUB = 1, TT_MUL = 2, TT_DIV = 3 };

/* Reductions for tt_reduce and tt_cross_entropy. */
enum { TT_REDUCE_NONE = 0, TT_REDUCE_MEAN = 1, TT_REDUCE_SUM = 2 };

/* Fill kinds for tt_tensor_fill. */
enum { TT_ZEROS = 0, TT_ONES = 1, TT_RAND = 2, TT_RANDN = 3 };

/* ---- runtime ---- */
int tt_abi_version(void);
/* The CUDA caching allocator's current allocated and reserved bytes on GPU
 * index (an error on a CPU build or for a GPU that does not exist). */
tt_error tt_cuda_memory_stats(int index, int64_t *allocated, int64_t *reserved);
/* libtorch's version as "major.minor.patch" (static storage, do not free). */
const char *tt_version(void);
tt_error tt_cuda_available(int *out);
tt_error tt_cuda_device_count(int *out);
tt_error tt_set_num_threads(int n);
/* The calling thread's own intra-op thread count (0: the process's again). */
tt_error tt_set_thread_num_threads(int n);
/* The calling thread's own count (0: none), and the process's count. */
int tt_thread_own_num_threads(void);
int tt_process_num_threads(void);
int tt_get_num_threads(void);
/* The thread count of the OpenBLAS that libtorch's CPU matrix products call
 * (looked up in the process: openblas_set_num_threads). tt_set_blas_threads
 * returns 1 when it set it, 0 when no OpenBLAS is loaded or n is not
 * positive; tt_blas_threads returns the count, or 0 when no OpenBLAS is
 * loaded. */
int tt_set_blas_threads(int n);
int tt_blas_threads(void);
/* The name of the kernel set OpenBLAS's matrix products use
 * (openblas_get_corename; "" when no OpenBLAS is loaded). tt_set_blas_core
 * has a DYNAMIC_ARCH OpenBLAS pick its kernels again as if started with
 * OPENBLAS_CORETYPE=name: 1 when that set is in use after, 0 (the kernels
 * unchanged) when no such OpenBLAS is loaded or its build lacks the set. Not
 * while a matrix product runs. */
const char *tt_blas_core(void);
int tt_set_blas_core(const char *name);
tt_error tt_manual_seed(uint64_t seed);
/* Whether NVIDIA GPUs may compute float32 convolutions (cuDNN) and matrix
 * products (cuBLAS) in TensorFloat-32; tt_allow_tf32 reports the cuDNN one. */
tt_error tt_set_allow_tf32(int allow);
int tt_allow_tf32(void);

/* ---- tensors: creation, data, metadata ---- */
/* Copies nbytes from data (row-major, dtype) into a new tensor on the device;
 * to a GPU through one page-locked staging buffer, the copy to the GPU
 * queued on its current stream without blocking the host. */
tt_error tt_tensor_from_data(const void *data, int64_t nbytes,
                             const int64_t *shape, int ndim, int dtype,
                             int dev_type, int dev_index, tt_tensor *out);
tt_error tt_tensor_fill(int kind, const int64_t *shape, int ndim, int dtype,
                        int dev_type, int dev_index, tt_tensor *out);
/* Copies the tensor's elements (any device, any layout) into dst, which holds
 * exactly nbytes; the tensor's dtype must equal dtype. */
tt_error tt_tensor_copy_data(tt_tensor t, void *dst, int64_t nbytes, int dtype);
void tt_tensor_free(tt_tensor t);
int tt_tensor_ndim(tt_tensor t);
void tt_tensor_shape(tt_tensor t, int64_t *out);
int tt_tensor_dtype(tt_tensor t);
void tt_tensor_device(tt_tensor t, int *dev_type, int *dev_index);
tt_error tt_tensor_item(tt_tensor t, double *out);
tt_error tt_tensor_string(tt_tensor t, char **out);
/* dtype < 0 keeps the dtype. */
tt_error tt_tensor_to(tt_tensor t, int dev_type, int dev_index, int dtype,
                      tt_tensor *out);
/* A copy in page-locked (pinned) host memory, from which tt_tensor_to copies
 * to a GPU without blocking. Needs a CUDA build. */
tt_error tt_tensor_pin_memory(tt_tensor t, tt_tensor *out);
tt_error tt_tensor_uniform_(tt_tensor t, double low, double high);
/* Copies src's values into dst in place (shapes must match; no autograd). */
tt_error tt_tensor_copy_(tt_tensor dst, tt_tensor src);

/* ---- ops ---- */
tt_error tt_matmul(tt_tensor a, tt_tensor b, tt_tensor *out);
tt_error tt_binary(int op, tt_tensor a, tt_tensor b, tt_tensor *out);
tt_error tt_binary_scalar(int op, tt_tensor a, double s, tt_tensor *out);
tt_error tt_relu(tt_tensor a, tt_tensor *out);
/* min(max(a, lo), hi) elementwise, in a's dtype. */
tt_error tt_clamp(tt_tensor a, double lo, double hi, tt_tensor *out);
tt_error tt_floor(tt_tensor a, tt_tensor *out);
tt_error tt_softmax(tt_tensor a, int64_t dim, int log, tt_tensor *out);
/* logits [N,C] float, targets [N] int64; reduction TT_REDUCE_*. */
tt_error tt_cross_entropy(tt_tensor logits, tt_tensor targets, int reduction,
                          tt_tensor *out);
tt_error tt_argmax(tt_tensor a, int64_t dim, int keepdim, tt_tensor *out);
tt_error tt_topk(tt_tensor a, int64_t k, int64_t dim, int largest,
                 tt_tensor *values, tt_tensor *indices);
/* reduction TT_REDUCE_MEAN or TT_REDUCE_SUM over dims (all when ndims == 0). */
tt_error tt_reduce(int reduction, tt_tensor a, const int64_t *dims, int ndims,
                   int keepdim, tt_tensor *out);
tt_error tt_stack(const tt_tensor *ts, int n, int64_t dim, tt_tensor *out);
tt_error tt_cat(const tt_tensor *ts, int n, int64_t dim, tt_tensor *out);
tt_error tt_narrow(tt_tensor a, int64_t dim, int64_t start, int64_t length,
                   tt_tensor *out);
tt_error tt_index_select(tt_tensor a, int64_t dim, tt_tensor index,
                         tt_tensor *out);
tt_error tt_reshape(tt_tensor a, const int64_t *shape, int ndim,
                    tt_tensor *out);
tt_error tt_permute(tt_tensor a, const int64_t *dims, int ndim, tt_tensor *out);
/* Memory formats of 4-D tensors: row-major NCHW, or NHWC strides
 * (torch.channels_last). */
enum { TT_CONTIGUOUS_FORMAT = 0, TT_CHANNELS_LAST = 1 };
tt_error tt_contiguous(tt_tensor a, int memory_format, tt_tensor *out);
int tt_is_contiguous(tt_tensor a, int memory_format);
tt_error tt_detach(tt_tensor a, tt_tensor *out);
/* A copy with its own storage, cut from the autograd graph. */
tt_error tt_clone(tt_tensor a, tt_tensor *out);
/* y = x·wᵀ + b; b may be NULL. With no_grad, no autograd graph is recorded. */
tt_error tt_linear(tt_tensor x, tt_tensor w, tt_tensor b, int no_grad,
                   tt_tensor *out);

/* ---- autograd and optimisation ---- */
tt_error tt_set_requires_grad(tt_tensor t, int on);
int tt_requires_grad(tt_tensor t);
tt_error tt_backward(tt_tensor t);
/* *out is NULL when the tensor has no gradient yet. */
tt_error tt_grad(tt_tensor t, tt_tensor *out);
/* Zeroes the accumulated gradient in place (no-op when there is none). */
tt_error tt_zero_grad(tt_tensor t);
/* One torch.optim.SGD step for one parameter. *buf is the momentum buffer:
 * NULL before the first step, then owned by the caller. */
tt_error tt_sgd_step(tt_tensor param, tt_tensor *buf, double lr,
                     double momentum, double dampening, double weight_decay,
                     int nesterov);

/* ---- serialisation (torch.save / torch.load compatible) ---- */
/* Reading and writing are done in Go (torch/pickle.go, pickle_writer.go):
 * libtorch's unpickler turns the OrderedDict of every Python state_dict into
 * None, and its pickler tags dicts with a global that torch.load refuses by
 * default since PyTorch 2.6. */
/* A contiguous tensor copied from a strided view of a raw storage of nbytes
 * (little-endian elements of dtype), as torch.load rebuilds tensors. */
tt_error tt_tensor_from_storage(const void *data, int64_t nbytes, int dtype,
                                const int64_t *shape, const int64_t *stride,
                                int ndim, int64_t offset, tt_tensor *out);

/* ---- TorchScript modules ---- */
tt_error tt_module_load(const char *path, int dev_type, int dev_index,
                        tt_module *out);
void tt_module_free(tt_module m);
/* Grad modes for tt_module_forward. */
enum { TT_GRAD = 0, TT_NO_GRAD = 1, TT_INFERENCE = 2 };
/* Runs forward under the grad mode (TT_INFERENCE: c10::InferenceMode, whose
 * outputs can never enter an autograd graph). With autocast_dtype >= 0
 * (TT_BFLOAT16 or TT_FLOAT16) the forward runs under autocast for the
 * inputs' device type and the output is converted back to float32. */
tt_error tt_module_forward(tt_module m, const tt_tensor *inputs, int n,
                           int grad_mode, int autocast_dtype, tt_tensor *out);
tt_error tt_module_set_training(tt_module m, int training);
int tt_module_is_training(tt_module m);
tt_error tt_module_to(tt_module m, int dev_type, int dev_index);
/* Lays out every 4-D parameter and buffer in memory_format, in place, as
 * Python's module.to(memory_format=...) does. */
tt_error tt_module_to_memory_format(tt_module m, int memory_format);
tt_error tt_module_named_parameters(tt_module m, int *n, char ***names,
                                    tt_tensor **tensors);
tt_error tt_module_save(tt_module m, const char *path);
/* A deep copy (parameters and buffers copied), e.g. to put a replica on
 * another device. */
tt_error tt_module_clone(tt_module m, tt_module *out);
/* torch.jit.freeze (the module must be in eval mode), then
 * torch.jit.optimize_for_inference when optimize != 0. */
tt_error tt_module_freeze(tt_module m, int optimize, tt_module *out);

/* ---- Winograd convolutions (oneDNN's or tunetorch's, float32, CPU) ---- */
/* 2: this shim has the Winograd convolution and this CPU runs it (oneDNN's
 * kernels, or tunetorch's AVX2 ones); 1: the shim has it, but neither runs
 * on this CPU (the swapped convolutions would run oneDNN's direct
 * algorithm); 0: the shim was built without it. Below 2, *why is set to a
 * malloc'd reason (free with free()). */
int tt_winograd_available(char **why);
/* Which Winograd kernels run here: 1 oneDNN's, 2 tunetorch's AVX2 ones
 * (winograd_avx2.h), or both (3); 0 none, or a shim without them. */
int tt_winograd_kernels(void);
/* Swaps, in place, the 3x3, stride-1, padding-1, ungrouped float32
 * convolutions of a module frozen and optimised for inference
 * (tt_module_freeze with optimize) for a Winograd F(4x4, 3x3) one: every one
 * when max_bytes <= 0, else those with the fewest channels whose Winograd
 * weights (o*c*36 floats each) add up to at most max_bytes; *replaced: how
 * many. kernel 0 (auto) runs them on oneDNN's kernels where it has them,
 * else on tunetorch's where the CPU has AVX2 and FMA, else on oneDNN's direct
 * algorithm; 1 on oneDNN's (direct where it has none); 2 on tunetorch's (an
 * error where the CPU lacks AVX2 or FMA). */
tt_error tt_module_use_winograd(tt_module m, int64_t max_bytes, int kernel, int64_t *replaced);
/* Runs every convolution of a module frozen and optimised for inference on
 * tunetorch's oneDNN convolution (direct, unless tt_module_use_winograd
 * swaps it) with what follows it folded in as oneDNN post-ops: a ReLU, the
 * addition of a residual (a ResNet block's), or both; *fused: how many
 * convolutions took something in. */
tt_error tt_module_fuse_convolutions(tt_module m, int64_t *fused);
/* Of the swapped (or fused) convolutions' primitives made so far (one per input shape
 * run, but a batch padded into a larger batch's), how many run Winograd and how many oneDNN's direct algorithm;
 * *weight_bytes: the bytes of the weight layouts they made (Winograd's, a
 * direct one's other than the optimised graph's), each counted once. */
tt_error tt_module_winograd_counts(tt_module m, int64_t *winograd, int64_t *direct, int64_t *weight_bytes);
/* Has each convolution tt_module_use_winograd swapped let go of its direct
 * weights once it has made its Winograd ones for batches of batch images (at
 * once where it has, else after its next run): it then runs Winograd only
 * (a smaller batch on a primitive of its own where it reads the same
 * weights, else padded); *releasing: how many will. */
tt_error tt_module_release_direct_weights(tt_module m, int64_t batch, int64_t *releasing);
/* Transforms random [oc, ic, 3, 3] weights (seeded, with zeros of both
 * signs) into the layout of oneDNN's Winograd convolution of them twice, by
 * oneDNN's reorder and by tunetorch's own transform (winograd_weights.cpp),
 * and counts the 32-bit words that differ (*differing) of those compared
 * (*compared). An error where oneDNN has no Winograd kernel for the shape on
 * this CPU, or tunetorch does not transform its layout. */
tt_error tt_winograd_weights_compare(int64_t oc, int64_t ic, uint64_t seed, int64_t *compared, int64_t *differing);
/* Fills fresh memory (as a plan's) with the Winograd weights of [oc, ic, 3,
 * 3] weights repeats times, by tunetorch's transform (own) or oneDNN's
 * reorder, and says how long that took. */
tt_error tt_winograd_weights_time(int64_t oc, int64_t ic, int own, int64_t repeats, int64_t *nanoseconds);
/* Whether oneDNN's Winograd convolutions of batch_a and of batch_b images
 * of size x size with [oc, ic, 3, 3] weights read the weights in the same
 * layout (*equal), on the calling thread's thread count; an error where
 * oneDNN has no Winograd kernel for either on this CPU. */
tt_error tt_winograd_layouts_equal(int64_t oc, int64_t ic, int64_t size, int64_t batch_a, int64_t batch_b,
                                   int *equal);

/* ---- the caching CPU allocator (cpu_cache.cpp) ---- */
typedef struct {
  int enabled;
  int64_t segments;      /* mappings held */
  int64_t mapped_bytes;  /* their bytes: in tensors or free for reuse */
  int64_t used_bytes;    /* bytes of them in tensors now */
  int64_t hits;          /* large requests served from a held mapping */
  int64_t misses;        /* large requests that mapped a new segment */
} tt_cpu_cache_stats;
/* Makes the caching allocator libtorch's CPU allocator (once per process;
 * later calls do nothing), caching when enabled != 0; then also fixes
 * glibc's mmap threshold at 1 MiB unless the environment sets it
 * (MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES). */
void tt_cpu_cache_install(int enabled);
/* Turns caching on or off; off also releases the free memory (as
 * tt_cpu_cache_release) and unmaps each segment as its last tensor goes. */
void tt_cpu_cache_set_enabled(int enabled);
/* Unmaps the segments no tensor uses and gives the pages of the other
 * segments' free spans back to the system. */
void tt_cpu_cache_release(void);
tt_cpu_cache_stats tt_cpu_cache_get_stats(void);
/* Whether a malloc of bytes, right after one of that size was freed, is
 * mapped on its own (1) or served from the heap (0); -1: not glibc, or out
 * of memory. */
int tt_malloc_maps_after_free(int64_t bytes);

/* ---- transparent huge pages (huge_pages.cpp) ---- */
/* Whether the shim's new mappings of 2 MiB or more (the caching allocator's
 * segments, the Winograd weights) are aligned and advised for transparent
 * huge pages (on by default); mappings already made keep their advice. */
void tt_huge_pages_set(int enabled);
int tt_huge_pages_enabled(void);

/* ---- distributed (c10d) ---- */
/* Joins a process group of world_size processes, meeting at a TCPStore on
 * master_addr:master_port, which this process serves when serve_store != 0
 * (rank 0, unless torchrun's agent serves it). Keys are prefixed with prefix
 * when it is not empty. backend "gloo": Gloo for every tensor, an error
 * unless tt_gloo_available(); "nccl": NCCL for CUDA tensors and Gloo for CPU
 * tensors and barriers (PyTorch's "cpu:gloo,cuda:nccl"), an error unless
 * tt_nccl_available(); without Gloo, CPU tensors pass through GPU
 * local_rank (modulo the GPUs) and barriers are NCCL's. Every collective
 * fails after timeout_ms (e.g. when a peer died). */
tt_error tt_pg_new(const char *backend, const char *master_addr, int master_port,
                   int rank, int world_size, int local_rank, int timeout_ms,
                   int serve_store, const char *prefix, tt_pg *out);
/* 1 when this shim was built with c10d's NCCL backend (a CUDA libtorch
 * with NCCL headers), else 0. */
int tt_nccl_available(void);
/* 1 when this shim was built with c10d's Gloo backend (gloo's headers were
 * found), else 0. */
int tt_gloo_available(void);
void tt_pg_free(tt_pg g);
/* Sums each tensor in place across the group (then divides by the group's
 * size when average != 0). */
tt_error tt_pg_allreduce(tt_pg g, const tt_tensor *ts, int n, int average);
/* Copies root's tensor into every rank's tensor, in place. */
tt_error tt_pg_broadcast(tt_pg g, tt_tensor t, int root);
tt_error tt_pg_barrier(tt_pg g);

#ifdef __cplusplus
}
#endif

#endif /* TUNETORCH_H */
