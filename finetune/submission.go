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
// its id and one probability per class. The file is written atomically: a
// failure leaves any previous file at path untouched.
func WriteSubmission(path string, classes []string, p *Predictions) error {
	for i, row := range p.Probs {
		if len(row) != len(classes) {
			return fmt.Errorf("finetune: submission row %d (id %s) has %d probabilities for %d classes", i, p.IDs[i], len(row), len(classes))
		}
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("id," + strings.Join(classes, ",") + "\n")
		buf := make([]byte, 0, 32)
		for i, row := range p.Probs {
			bw.WriteString(p.IDs[i])
			for _, v := range row {
				bw.WriteByte(',')
				bw.Write(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
			}
			bw.WriteByte('\n')
		}
		return bw.Flush()
	})
}
