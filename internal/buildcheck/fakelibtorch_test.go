package buildcheck

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fakeLibtorchFiles are the files of a stand-in for an official libtorch
// archive (paths under libtorch/): enough for find_package(Torch) to succeed
// at configure time, with the given version. Nothing can be linked with it.
func fakeLibtorchFiles(version string) map[string]string {
	return map[string]string{
		"share/cmake/Torch/TorchConfigVersion.cmake": fmt.Sprintf(
			"set(PACKAGE_VERSION %q)\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n", version),
		"share/cmake/Torch/TorchConfig.cmake": `# A stand-in for an official archive's TorchConfig.cmake (buildcheck tests).
get_filename_component(TORCH_INSTALL_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../../" ABSOLUTE)
set(TORCH_INCLUDE_DIRS "${TORCH_INSTALL_PREFIX}/include")
set(TORCH_LIBRARIES torch)
set(TORCH_CXX_FLAGS "")
set(Torch_FOUND TRUE)
`,
		"include/torch/README": "stand-in\n",
	}
}

// writeFakeLibtorch writes the stand-in as the folder root (…/libtorch).
func writeFakeLibtorch(t *testing.T, root, version string) {
	t.Helper()
	for name, body := range fakeLibtorchFiles(version) {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeFakeArchive writes the stand-in as a zip whose top folder is
// libtorch/, as download.pytorch.org's archives are.
func writeFakeArchive(t *testing.T, path, version string) {
	t.Helper()
	files := map[string]string{}
	for name, body := range fakeLibtorchFiles(version) {
		files["libtorch/"+name] = body
	}
	writeZip(t, path, files)
}

// writeOtherArchive writes a valid zip that is not a libtorch archive.
func writeOtherArchive(t *testing.T, path string) {
	writeZip(t, path, map[string]string{"something/README": "not libtorch\n"})
}

// writeZip writes files (name → contents) as the zip archive path.
func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	for name, body := range files {
		fw, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
