package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestReadCSVLabelsAcceptsKaggleVariants(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"plain.csv":  "id,breed\na1,beagle\nb2,pug\n",
		"bom.csv":    "\xef\xbb\xbfid,breed\na1,beagle\nb2,pug\n",
		"crlf.csv":   "id,breed\r\na1,beagle\r\nb2,pug\r\n",
		"quoted.csv": "\"id\",\"breed\"\n\"a1\",\"beagle\"\nb2,\"pug\"",
		"spaces.csv": "id,breed\n a1 , beagle\nb2,pug\n",
	} {
		got, err := ReadCSVLabels(writeFile(t, dir, name, content))
		require.NoError(t, err, name)
		require.Equal(t, Labels{"a1": "beagle", "b2": "pug"}, got, name)
	}
	got, err := ReadCSVLabels(writeFile(t, dir, "unicode.csv", "id,breed\nchien_été,pug\n"))
	require.NoError(t, err)
	require.Equal(t, "pug", got["chien_été"])
}

func TestReadCSVLabelsErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, content, want string }{
		{"empty.csv", "", "empty file"},
		{"header_only.csv", "id,breed\n", "no rows after the header"},
		{"one_column.csv", "id\na1\n", "line 1: header has 1 fields"},
		{"missing_column.csv", "id,breed\na1,beagle\nb2\n", "line 3: 1 fields, want 2"},
		{"extra_column.csv", "id,breed\na1,beagle,extra\n", "line 2: 3 fields, want 2"},
		{"empty_id.csv", "id,breed\n,beagle\n", "line 2: empty id"},
		{"empty_label.csv", "id,breed\na1,\n", "line 2: empty label for id \"a1\""},
		{"duplicate.csv", "id,breed\na1,beagle\nb2,pug\na1,pug\n", "line 4: id \"a1\" already given on line 2"},
		{"slash.csv", "id,breed\nsub/a1,beagle\n", "line 2: id \"sub/a1\" must be a plain file name"},
		{"dotdot.csv", "id,breed\n..,beagle\n", "must be a plain file name"},
		{"absolute.csv", "id,breed\n/etc/passwd,beagle\n", "must be a plain file name"},
		{"label_path.csv", "id,breed\na1,../x\n", "cannot be a folder name"},
		{"bad_quote.csv", "id,breed\na1,\"beagle\n", "line 2"},
	} {
		path := writeFile(t, dir, c.name, c.content)
		_, err := ReadCSVLabels(path)
		require.Error(t, err, c.name)
		require.Contains(t, err.Error(), path, c.name)
		require.Contains(t, err.Error(), c.want, c.name)
	}
	_, err := ReadCSVLabels(filepath.Join(dir, "missing.csv"))
	require.ErrorContains(t, err, "missing.csv")
}
