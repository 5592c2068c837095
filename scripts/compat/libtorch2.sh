#!/usr/bin/env bash
# tunetorch against libtorch 2.x, on a Debian machine that has 1.13: a Debian
# trixie chroot (debootstrap) with Debian's PyTorch 2.6, where it
#   1. runs `make test` (the shim built against libtorch 2.6, the fixtures
#      exported and the run-time comparisons made by PyTorch 2.6), then a short
#      dogbreed run with the ResNet-34 fixture;
#   2. compiles the shim against Debian's CUDA build of libtorch 2.6 with
#      CUDA and NCCL on (TT_BUILT_WITH_CUDA, TT_BUILT_WITH_NCCL) and links it
#      with --no-undefined: every libtorch/CUDA/NCCL call the shim makes exists
#      there. Nothing runs on a GPU (none is needed, or used).
# Logs go to $COMPAT/logs (default build/_compat/logs). Needs root and
# Debian's mirror; the first run downloads about 2 GB (most of it the CUDA
# packages) and fills about 7 GB of $COMPAT.
#
#   scripts/compat/libtorch2.sh          (or: make compat)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
COMPAT=${COMPAT:-$REPO/build/_compat} # "_": go's ./... skips it (the chroot holds a copy of Go)
ROOT=$COMPAT/trixie
MIRROR=${MIRROR:-http://deb.debian.org/debian}
GOROOT_HOST=$(go env GOROOT)
mkdir -p "$COMPAT/logs"
log() { echo "== $*" | tee -a "$COMPAT/logs/summary.txt"; }
[ "$(id -u)" = 0 ] || { echo "compat: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
: > "$COMPAT/logs/summary.txt"

if [ ! -f "$ROOT/etc/debian_version" ]; then
  command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; }
  log "debootstrap trixie into $ROOT"
  debootstrap --variant=minbase trixie "$ROOT" "$MIRROR" > "$COMPAT/logs/debootstrap.txt" 2>&1
  echo "deb $MIRROR trixie main contrib non-free" > "$ROOT/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The host's CA bundle, for the Go module proxy (a host may trust a local CA).
CA=()
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/host-ca-certificates.crt" 2>/dev/null && CA=(SSL_CERT_FILE=/etc/host-ca-certificates.crt)

# Only /proc is mounted (and unmounted on exit); Go is copied in and modules
# come through the proxy, so removing $COMPAT can never reach the host's files.
cleanup() { umount "$ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
if [ ! -x "$ROOT/usr/local/go/bin/go" ] || [ "$("$ROOT/usr/local/go/bin/go" version)" != "$(go version)" ]; then
  rm -rf "$ROOT/usr/local/go" && mkdir -p "$ROOT/usr/local" && cp -a "$GOROOT_HOST" "$ROOT/usr/local/go"
fi
in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/go/bin \
  GOPROXY="$(go env GOPROXY)" "${CA[@]}" DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"; }

log "packages (libtorch-dev 2.6, PyTorch 2.6, torchvision)"
in_root "apt-get update -q && apt-get install -y -q --no-install-recommends libtorch-dev libgloo-dev libopenblas0-pthread \
  cmake g++ make git ca-certificates python3-torch python3-torchvision" > "$COMPAT/logs/apt.txt" 2>&1
in_root "dpkg-query -W libtorch-dev python3-torch python3-torchvision" | tee -a "$COMPAT/logs/summary.txt"

# The work tree as git sees it (tracked and untracked, ignored files left out).
rm -rf "$ROOT/src/tunetorch" && mkdir -p "$ROOT/src/tunetorch"
git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$ROOT/src/tunetorch"

log "1. make test against libtorch 2.6 (CPU)"
if in_root "cd /src/tunetorch && make test" > "$COMPAT/logs/make-test.txt" 2>&1; then
  log "make test: PASS"
else
  log "make test: FAIL (see logs/make-test.txt)"; grep -E "^(--- FAIL|FAIL|ok )" "$COMPAT/logs/make-test.txt" | tee -a "$COMPAT/logs/summary.txt"; exit 1
fi
grep -E "^ok " "$COMPAT/logs/make-test.txt" | tee -a "$COMPAT/logs/summary.txt"

log "1a. dogbreed end to end on libtorch 2.6 (ResNet-34 fixture, generated data, 1 epoch)"
in_root "cd /src/tunetorch && go run ./examples/dogbreed --demo --demo-scale 0.02 --epochs 1 --data-dir build/compat-demo/data \
  --model build/cache/resnet34.pt --out build/compat-demo/submission.csv --plot build/compat-demo/loss.png \
  --save-head build/compat-demo/head.pt" > "$COMPAT/logs/dogbreed.txt" 2>&1 &&
  grep -E "^(backbone|train loss|wrote)" "$COMPAT/logs/dogbreed.txt" | tee -a "$COMPAT/logs/summary.txt" ||
  { log "dogbreed: FAILED (see logs/dogbreed.txt)"; tail -5 "$COMPAT/logs/dogbreed.txt"; exit 1; }

log "1b. optimize_for_inference with this PyTorch (why torch.OptimizeForInferenceVerified is false on 2.0-2.10)"
in_root "cd /src/tunetorch && /usr/bin/python3 scripts/compat/optimize_check.py build/cache/resnet34.pt" 2>&1 |
  tee -a "$COMPAT/logs/summary.txt" || true

log "2. the shim with CUDA and NCCL against Debian's CUDA libtorch 2.6 (compile and link)"
# Unpacked, not installed: libtorch-cuda conflicts with libtorch-dev, and its
# cuDNN dependency downloads from NVIDIA at install time.
in_root "set -e; mkdir -p /var/cache/cuda-debs /opt/cuda-libtorch; cd /var/cache/cuda-debs
  ls libtorch-cuda-dev_*.deb >/dev/null 2>&1 || apt-get download libtorch-cuda-2.6 libtorch-cuda-dev nvidia-cuda-dev libcudart12 libnccl-dev libcu++-dev
  [ -d /opt/cuda-libtorch/usr/include/c10/cuda ] || for d in *.deb; do dpkg -x \$d /opt/cuda-libtorch; done" > "$COMPAT/logs/cuda-debs.txt" 2>&1
# The definitions CMake takes from the CUDA libtorch's targets (torch_cpu:
# USE_DISTRIBUTED, USE_C10D_GLOO; torch_cuda: USE_C10D_NCCL) plus the shim's own,
# and the sources CMake picks for a CUDA build: c10d, the Winograd stub (not
# the oneDNN convolution sources: onednn_conv.cpp, winograd.cpp, fuse.cpp,
# winograd_weights.cpp).
in_root "set -e; P=/opt/cuda-libtorch/usr; L=\$P/lib/x86_64-linux-gnu; O=/tmp/cuda-shim; mkdir -p \$O; cd /src/tunetorch
  for f in torch/csrc/*.cpp; do case \$f in */distributed_stub.cpp|*/winograd.cpp|*/onednn_conv.cpp|*/fuse.cpp|*/winograd_weights.cpp) continue;; esac
    g++ -std=c++17 -O1 -fPIC -Wall -Wno-stringop-overflow -D_GLIBCXX_USE_CXX11_ABI=1 \
      -DUSE_DISTRIBUTED -DUSE_C10D_GLOO -DUSE_C10D_NCCL -DTT_BUILT_WITH_CUDA -DTT_BUILT_WITH_NCCL -DTT_WITH_GLOO \
      -isystem \$P/include -isystem \$P/include/torch/csrc/api/include -Itorch/csrc -c \$f -o \$O/\$(basename \$f .cpp).o
  done
  g++ -shared -o \$O/libtunetorch.so \$O/*.o -Wl,--no-undefined -L\$L -Wl,-rpath-link,\$L \
    -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed -ltorch -ltorch_cpu -lc10
  # Also as against a pip wheel, which ships no gloo headers: NCCL process groups only.
  mkdir -p \$O/nccl-only; cp \$O/*.o \$O/nccl-only/
  g++ -std=c++17 -O1 -fPIC -Wall -D_GLIBCXX_USE_CXX11_ABI=1 -DUSE_DISTRIBUTED -DUSE_C10D_GLOO -DUSE_C10D_NCCL \
    -DTT_BUILT_WITH_CUDA -DTT_BUILT_WITH_NCCL -isystem \$P/include -isystem \$P/include/torch/csrc/api/include \
    -Itorch/csrc -c torch/csrc/distributed.cpp -o \$O/nccl-only/distributed.o
  g++ -shared -o \$O/nccl-only/libtunetorch.so \$O/nccl-only/*.o -Wl,--no-undefined -L\$L -Wl,-rpath-link,\$L \
    -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed -ltorch -ltorch_cpu -lc10
  echo 'also compiled and linked without Gloo (NCCL process groups only, as against a pip wheel)'
  echo 'linked; CUDA and NCCL entry points the shim calls:'
  nm -DC \$O/libtunetorch.so | grep ' U ' | grep -E 'cuda|CUDA|NCCL' | sed 's/(.*//' | sort -u" > "$COMPAT/logs/cuda-shim.txt" 2>&1 &&
  { log "CUDA + NCCL shim: compiled and linked"; tail -n +2 "$COMPAT/logs/cuda-shim.txt" | tee -a "$COMPAT/logs/summary.txt"; } ||
  { log "CUDA + NCCL shim: FAILED (see logs/cuda-shim.txt)"; tail -20 "$COMPAT/logs/cuda-shim.txt"; exit 1; }
