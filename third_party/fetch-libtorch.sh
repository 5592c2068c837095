#!/usr/bin/env bash
# Downloads an official libtorch archive into third_party/libtorch, for machines
# without a packaged libtorch. NEEDS INTERNET (download.pytorch.org).
#
#   third_party/fetch-libtorch.sh VERSION [VARIANT]
#     VERSION  e.g. 2.5.1
#     VARIANT  cpu (default), or a CUDA variant such as cu118, cu121, cu124
#
# CMakeLists.txt then finds it by itself: `make build` (or cmake -S . -B build).
#
# LIBTORCH_MIRROR replaces https://download.pytorch.org/libtorch: a mirror or
# proxy with the same layout (VARIANT/NAME-VERSION+VARIANT.zip), or a folder of
# archives already downloaded (file:///path/to/folder).
set -euo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
version=$1
variant=${2:-cpu}
case $variant in
  cpu|cu[0-9]*) ;;
  *) echo "fetch-libtorch: unknown variant '$variant': use cpu or cuNNN (e.g. cu121)" >&2; exit 2 ;;
esac

for tool in curl unzip; do
  command -v $tool >/dev/null || { echo "fetch-libtorch: $tool is needed (apt-get install $tool)" >&2; exit 2; }
done

here=$(cd "$(dirname "$0")" && pwd)
# Up to 2.6 the archives came in two C++ ABIs ("cxx11-abi" in the name); from
# 2.7 on there is one, without it in the name.
base="${LIBTORCH_MIRROR:-https://download.pytorch.org/libtorch}/${variant}"
# Unpacked beside the destination (the same file system), so that an existing
# third_party/libtorch is only replaced by a complete one.
tmp=$(mktemp -d "$here/.fetch-libtorch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fetched=
for name in libtorch-cxx11-abi-shared-with-deps libtorch-shared-with-deps; do
  url="$base/${name}-${version}%2B${variant}.zip"
  echo "fetch-libtorch: downloading $url"
  if curl -fL --retry 3 -o "$tmp/libtorch.zip" "$url"; then fetched=1; break; fi
done
if [ -z "$fetched" ]; then
  echo "fetch-libtorch: no archive for libtorch $version ($variant) at $base. This step needs" >&2
  echo "internet access (or LIBTORCH_MIRROR); check the version and variant at" >&2
  echo "https://pytorch.org/get-started/locally/ (LibTorch, C++, cxx11 ABI)." >&2
  exit 1
fi
if ! unzip -q "$tmp/libtorch.zip" -d "$tmp/unpacked"; then
  echo "fetch-libtorch: $url is not a readable zip archive" >&2
  exit 1
fi
if [ ! -d "$tmp/unpacked/libtorch/share/cmake/Torch" ]; then
  echo "fetch-libtorch: $url has no libtorch/share/cmake/Torch: not a libtorch archive" >&2
  exit 1
fi
rm -rf "$here/libtorch"
mv "$tmp/unpacked/libtorch" "$here/libtorch"
echo "fetch-libtorch: libtorch $version ($variant) is in $here/libtorch; run: make build"
