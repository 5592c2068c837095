#!/usr/bin/env bash
# Downloads an official libtorch archive into third_party/libtorch, for machines
# without a packaged libtorch. NEEDS INTERNET (download.pytorch.org).
#
#   third_party/fetch-libtorch.sh VERSION [VARIANT]
#     VERSION  e.g. 2.5.1
#     VARIANT  cpu (default), or a CUDA variant such as cu118, cu121, cu124
#
# CMakeLists.txt then finds it by itself: `make build` (or cmake -S . -B build).
set -euo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
version=$1
variant=${2:-cpu}
case $variant in
  cpu|cu[0-9]*) ;;
  *) echo "fetch-libtorch: unknown variant '$variant': use cpu or cuNNN (e.g. cu121)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
# Up to 2.6 the archives came in two C++ ABIs ("cxx11-abi" in the name); from
# 2.7 on there is one, without it in the name.
base="https://download.pytorch.org/libtorch/${variant}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetched=
for name in libtorch-cxx11-abi-shared-with-deps libtorch-shared-with-deps; do
  url="$base/${name}-${version}%2B${variant}.zip"
  echo "fetch-libtorch: downloading $url"
  if curl -fL --retry 3 -o "$tmp/libtorch.zip" "$url"; then fetched=1; break; fi
done
if [ -z "$fetched" ]; then
  echo "fetch-libtorch: download failed. This step needs internet access; check the version" >&2
  echo "and variant at https://pytorch.org/get-started/locally/ (LibTorch, C++, cxx11 ABI)." >&2
  exit 1
fi
unzip -q "$tmp/libtorch.zip" -d "$tmp"
rm -rf "$here/libtorch"
mv "$tmp/libtorch" "$here/libtorch"
echo "fetch-libtorch: libtorch $version ($variant) is in $here/libtorch; run: make build"
