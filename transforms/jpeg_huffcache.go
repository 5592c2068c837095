package transforms

import "sync"

// huffTables keeps the Huffman tables built from DHT segments, shared by
// every decoder: the images of a dataset mostly share their encoder's
// tables (libjpeg's standard ones above all), and building one fills its
// 2,048 lookahead entries and zeroes 6.5 KB, a cost that weighs the more
// the smaller the image. A built table
// is never changed, so decoders on several goroutines read it at once.
var huffTables = huffTableCache{tables: make(map[string]*huffTable)}

// huffTableCacheSize bounds huffTables: a dataset whose files each have
// their own tables (optimised Huffman coding) empties it when it is full
// instead of growing it (about 6.5 KB a table).
const huffTableCacheSize = 256

// huffTableCache maps a table's class and DHT bytes to the table built
// from them.
type huffTableCache struct {
	mu     sync.RWMutex
	tables map[string]*huffTable
}

// table returns the table that the 16 counts and the symbols of a DHT table
// of class ac (AC, else DC) define, building it the first time those bytes
// are seen. spec is the counts' and symbols' bytes, as in the segment.
func (c *huffTableCache) table(spec []byte, ac bool) (*huffTable, error) {
	var key [1 + 16 + 256]byte
	if ac {
		key[0] = 1
	}
	n := 1 + copy(key[1:], spec)
	c.mu.RLock()
	t := c.tables[string(key[:n])]
	c.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	var counts [16]int
	for i := range counts {
		counts[i] = int(spec[i])
	}
	t = new(huffTable)
	if err := t.build(counts, spec[16:], ac); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.tables) >= huffTableCacheSize {
		clear(c.tables)
	}
	c.tables[string(key[:n])] = t
	c.mu.Unlock()
	return t, nil
}
