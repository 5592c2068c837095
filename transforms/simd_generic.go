//go:build !amd64 || purego

package transforms

// useAVX2 is false where the assembly is not built: the Go code runs.
var useAVX2 = false
