//go:build !amd64 || purego

package transforms

// simdAvailable is false where the assembly is not built: the Go code runs.
const simdAvailable = false
