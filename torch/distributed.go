package torch

// #include <stdlib.h>
// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// ProcessGroup is a group of processes (ranks) that exchange tensors through
// PyTorch's c10d: a TCPStore rendezvous, Gloo for CPU tensors and, with the
// nccl backend, NCCL for CUDA tensors. Close it when done.
type ProcessGroup struct {
	h          C.tt_pg
	rank, size int
}

// DistributedConfig says how to join a group, as torchrun and Kubernetes'
// PyTorchJob describe it in the environment.
type DistributedConfig struct {
	MasterAddr string        // MASTER_ADDR: where rank 0 serves the rendezvous
	MasterPort int           // MASTER_PORT
	Rank       int           // RANK: this process, 0 ≤ Rank < WorldSize
	WorldSize  int           // WORLD_SIZE: the number of processes
	LocalRank  int           // LOCAL_RANK: this process's index on its machine
	Timeout    time.Duration // every collective, and the rendezvous, fail after this
	// AgentStore says torchrun's agent already serves the TCPStore at
	// MASTER_ADDR:MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True): every rank
	// is then a client, under the key prefix /worker/attempt_<restart count>,
	// as PyTorch's workers do.
	AgentStore   bool
	RestartCount int // TORCHELASTIC_RESTART_COUNT
	// Backend is "gloo" (the default when empty: every tensor goes through
	// Gloo; GlooAvailable) or "nccl": CUDA tensors go through NCCL and CPU
	// tensors and barriers through Gloo, as PyTorch's "cpu:gloo,cuda:nccl".
	// NCCL needs a shim built against a CUDA libtorch with NCCL
	// (NCCLAvailable), and each rank's CUDA tensors on its own GPU, usually
	// cuda:LOCAL_RANK; a shim without Gloo passes CPU tensors through GPU
	// LOCAL_RANK and uses NCCL's barrier.
	Backend string
}

// NCCLAvailable reports whether the loaded shim was built with c10d's NCCL
// backend (a CUDA libtorch with NCCL headers).
func NCCLAvailable() bool { return C.tt_nccl_available() != 0 }

// GlooAvailable reports whether the loaded shim was built with c10d's Gloo
// backend (gloo's headers were found; Debian's libgloo-dev has them, pip
// wheels of PyTorch do not, so a shim built against a wheel has NCCL only).
func GlooAvailable() bool { return C.tt_gloo_available() != 0 }

// DistributedFromEnv reads MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE and
// LOCAL_RANK. ok is false when WORLD_SIZE is unset (a single process);
// a malformed value is an error naming the variable.
func DistributedFromEnv() (cfg DistributedConfig, ok bool, err error) {
	if _, set := os.LookupEnv("WORLD_SIZE"); !set {
		return cfg, false, nil
	}
	num := func(name string, def int) (int, error) {
		v, set := os.LookupEnv(name)
		if !set || v == "" {
			if def >= 0 {
				return def, nil
			}
			return 0, fmt.Errorf("torch: distributed: %s is not set (torchrun sets it)", name)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("torch: distributed: %s=%q is not a non-negative integer", name, v)
		}
		return n, nil
	}
	if cfg.WorldSize, err = num("WORLD_SIZE", -1); err != nil {
		return cfg, true, err
	}
	if cfg.Rank, err = num("RANK", -1); err != nil {
		return cfg, true, err
	}
	if cfg.LocalRank, err = num("LOCAL_RANK", cfg.Rank); err != nil {
		return cfg, true, err
	}
	if cfg.MasterPort, err = num("MASTER_PORT", 29500); err != nil {
		return cfg, true, err
	}
	cfg.MasterAddr = os.Getenv("MASTER_ADDR")
	if cfg.MasterAddr == "" {
		cfg.MasterAddr = "127.0.0.1"
	}
	cfg.Timeout = 5 * time.Minute
	cfg.AgentStore = os.Getenv("TORCHELASTIC_USE_AGENT_STORE") == "True"
	if cfg.RestartCount, err = num("TORCHELASTIC_RESTART_COUNT", 0); err != nil {
		return cfg, true, err
	}
	return cfg, true, nil
}

// NewProcessGroup joins the group described by cfg: it blocks until all
// WorldSize processes have met at the rendezvous (or Timeout passes).
//
// From then on the process does not die of SIGPIPE (see catchSIGPIPE): a
// rank that dies makes the others' collectives return errors.
func NewProcessGroup(cfg DistributedConfig) (*ProcessGroup, error) {
	catchSIGPIPE()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	addr := C.CString(cfg.MasterAddr)
	defer C.free(unsafe.Pointer(addr))
	serve, prefix := cfg.Rank == 0, ""
	if cfg.AgentStore {
		serve, prefix = false, fmt.Sprintf("/worker/attempt_%d", cfg.RestartCount)
	}
	cprefix := C.CString(prefix)
	defer C.free(unsafe.Pointer(cprefix))
	if cfg.Backend == "" {
		cfg.Backend = "gloo"
	}
	backend := C.CString(cfg.Backend)
	defer C.free(unsafe.Pointer(backend))
	var h C.tt_pg
	op := fmt.Sprintf("join process group (%s, rank %d of %d at %s:%d)", cfg.Backend, cfg.Rank, cfg.WorldSize, cfg.MasterAddr, cfg.MasterPort)
	if err := check(op, C.tt_pg_new(backend, addr, C.int(cfg.MasterPort), C.int(cfg.Rank), C.int(cfg.WorldSize),
		C.int(cfg.LocalRank), C.int(cfg.Timeout.Milliseconds()), cBool(serve), cprefix, &h)); err != nil {
		return nil, err
	}
	g := &ProcessGroup{h: h, rank: cfg.Rank, size: cfg.WorldSize}
	runtime.SetFinalizer(g, (*ProcessGroup).Close)
	return g, nil
}

// catchSIGPIPE makes SIGPIPE a signal the process receives (and drops), so
// that a write to a socket or pipe whose reader has gone fails with EPIPE
// instead of killing the process. Gloo and the TCPStore write to their
// peers' sockets from C++ (some from threads of their own); when a peer
// dies, the kernel raises SIGPIPE on the writing thread, and a Go program
// that does not handle it dies of it (the Go runtime spares only its own
// writes, to descriptors other than 1 and 2). PyTorch's ranks run under
// Python, which ignores SIGPIPE, so there the collective returns an error;
// with this, here too. Writes to a closed standard output then fail with
// EPIPE as well, as in Python. Unlike ignoring the signal, handling it is
// not inherited by the programs the process starts.
var catchSIGPIPE = sync.OnceFunc(func() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) })

// Rank returns this process's rank.
func (g *ProcessGroup) Rank() int { return g.rank }

// Size returns the number of processes in the group.
func (g *ProcessGroup) Size() int { return g.size }

func (g *ProcessGroup) handle() C.tt_pg {
	if g == nil || g.h == nil {
		panic(&Error{Op: "process group", Msg: "use of a closed or nil ProcessGroup"})
	}
	return g.h
}

// AllReduce sums each tensor in place across the group (then divides by
// the group's size with average). A dead or stuck peer gives an error after
// the group's timeout.
func (g *ProcessGroup) AllReduce(average bool, ts ...*Tensor) error {
	if len(ts) == 0 {
		return nil
	}
	hs := handles(ts)
	err := check("all_reduce", C.tt_pg_allreduce(g.handle(), &hs[0], C.int(len(hs)), cBool(average)))
	runtime.KeepAlive(ts)
	runtime.KeepAlive(g)
	return err
}

// Broadcast copies root's tensor into t on every rank, in place.
func (g *ProcessGroup) Broadcast(t *Tensor, root int) error {
	err := check("broadcast", C.tt_pg_broadcast(g.handle(), t.handle(), C.int(root)))
	runtime.KeepAlive(t)
	runtime.KeepAlive(g)
	return err
}

// Barrier returns when every rank has called it.
func (g *ProcessGroup) Barrier() error {
	err := check("barrier", C.tt_pg_barrier(g.handle()))
	runtime.KeepAlive(g)
	return err
}

// Close leaves the group. It is safe to call more than once.
func (g *ProcessGroup) Close() {
	if g == nil || g.h == nil {
		return
	}
	C.tt_pg_free(g.h)
	g.h = nil
	runtime.SetFinalizer(g, nil)
}
