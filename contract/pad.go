package contract

// Pad returns data followed by spaces up to the next multiple of block
// bytes, hiding its exact length (data already a multiple, including empty
// data, is returned unchanged). Spaces are insignificant after a JSON value,
// so padded JSON responses still parse. block <= 0 disables padding. The
// result never shares memory with data.
func Pad(data []byte, block int) []byte {
	out := make([]byte, len(data), paddedLen(len(data), block))
	copy(out, data)
	for len(out) < cap(out) {
		out = append(out, ' ')
	}
	return out
}

func paddedLen(n, block int) int {
	if block <= 0 || n%block == 0 {
		return n
	}
	return n + block - n%block
}
