// Package buildcheck holds tests of the build steps that run outside Go and
// outside this machine's usual path: third_party/fetch-libtorch.sh (an
// official libtorch archive, served here from a local mirror), CMakeLists.txt's
// lookup of libtorch and its version rules, Dockerfile.cuda's agreement
// with the repository, and the flags scripts/gpu/check.sh passes. Dockerfile.cuda cannot be built where tunetorch is
// developed (no Docker engine, no internet), so these tests keep each of its
// steps from rotting. The package has no code of its own.
package buildcheck
