// Command goprog is a Go wasip1 reactor used by the meter tests: it exercises
// loops, maps, fmt.Sprintf, floats and allocation in an exported function.
package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

var state = map[string]int{}

//go:wasmexport compute
func compute(n int32) int64 {
	// Integer loop and a map.
	words := make(map[string]int)
	var sb strings.Builder
	for i := int32(0); i < n; i++ {
		k := fmt.Sprintf("k%03d", (i*7)%31)
		words[k] += int(i)
		if i%10 == 0 {
			sb.WriteString(k)
		}
	}
	keys := make([]string, 0, len(words))
	for k := range words {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var h uint64 = 14695981039346656037
	for _, k := range keys {
		for _, c := range []byte(k + ":" + fmt.Sprint(words[k])) {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	// Floats.
	x := 0.5
	for i := int32(1); i <= n; i++ {
		x = math.Sqrt(x*x+float64(i)) / (1 + math.Abs(math.Sin(float64(i))))
	}
	s := fmt.Sprintf("%.6f|%s|%d", x, sb.String(), len(keys))
	for _, c := range []byte(s) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	state[s[:4]]++
	return int64(h>>1) + int64(state[s[:4]])
}

//go:wasmexport grow
func grow(kib int32) int32 {
	b := make([]byte, int(kib)*1024)
	for i := range b {
		b[i] = byte(i)
	}
	var s int32
	for _, c := range b {
		s += int32(c)
	}
	return s
}

func main() {}
