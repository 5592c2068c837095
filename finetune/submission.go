package finetune

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tunetorch/tunetorch/internal/atomicfile"
)

// WriteSubmission writes a Kaggle submission: a header "id," + the class
// names (sorted, as the dataset's classes are), then one row per sample with
// its id and one probability per class. An id or name with a comma, a quote
// or a line break is quoted as encoding/csv quotes it. The file is written
// atomically: a failure leaves any previous file at path untouched.
func WriteSubmission(path string, classes []string, p *Predictions) error {
	for i, row := range p.Probs {
		if len(row) != len(classes) {
			return fmt.Errorf("finetune: submission row %d (id %s) has %d probabilities for %d classes", i, p.IDs[i], len(row), len(classes))
		}
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("id")
		for _, c := range classes {
			bw.WriteByte(',')
			bw.WriteString(csvField(c))
		}
		bw.WriteByte('\n')
		buf := make([]byte, 0, 32)
		for i, row := range p.Probs {
			bw.WriteString(csvField(p.IDs[i]))
			for _, v := range row {
				bw.WriteByte(',')
				bw.Write(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
			}
			bw.WriteByte('\n')
		}
		return bw.Flush()
	})
}

// csvField is s as a CSV field: quoted, its quotes doubled, when it holds a
// comma, a quote or a line break or starts with a space (encoding/csv's
// rule; ids and breed names never need it, a file or label named so would
// otherwise shift every column after it).
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") && !strings.HasPrefix(s, " ") && !strings.HasPrefix(s, "\t") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
