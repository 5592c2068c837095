package dataset

import (
	"strings"
	"testing"
)

// FuzzParseLabels: any bytes give labels or an error, never a panic, and
// accepted labels keep the promises ReadCSVLabels makes.
func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{
		"id,breed\na1,beagle\nb2,pug\n",
		"\xef\xbb\xbfid,breed\r\na1,beagle\r\n",
		"\"id\",\"breed\"\n\"a,1\",\"be\"\"agle\"\n",
		"id,breed\n../x,pug\n",
		"id,breed\na1,\n",
		"",
		"id\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := parseLabels(data)
		if err != nil {
			if labels != nil {
				t.Fatalf("labels and an error: %v", err)
			}
			return
		}
		if len(labels) == 0 {
			t.Fatal("no error and no labels")
		}
		for id, label := range labels {
			if id == "" || label == "" || strings.ContainsAny(id, `/\`) || strings.Contains(id, "..") {
				t.Fatalf("accepted a bad row %q,%q", id, label)
			}
		}
	})
}
