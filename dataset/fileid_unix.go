//go:build unix

package dataset

import (
	"os"
	"syscall"
)

// identify names a file by its device and inode, which hard links share.
func identify(path string, fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{path: path}
}
