package cryptobox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// maxAD is the largest number of associated-data components S2V accepts (RFC 5297 §2.4/§7: at
// most 127 strings including the plaintext).
const maxAD = 126

const blockSize = 16

var zeroBlock [blockSize]byte

// dbl is the doubling in GF(2^128) of RFC 5297 §2.3 / RFC 4493 subkey generation, in constant time.
func dbl(in [blockSize]byte) [blockSize]byte {
	var out [blockSize]byte
	carry := in[0] >> 7
	for i := 0; i < blockSize-1; i++ {
		out[i] = in[i]<<1 | in[i+1]>>7
	}
	out[blockSize-1] = in[blockSize-1]<<1 ^ (0x87 & -carry)
	return out
}

func xorBlock(dst *[blockSize]byte, src []byte) {
	subtle.XORBytes(dst[:], dst[:], src[:blockSize])
}

// cmac is a streaming AES-CMAC (RFC 4493). The last (possibly partial) block is kept in buf until
// sum, since it gets the subkey treatment.
type cmac struct {
	b      cipher.Block
	k1, k2 [blockSize]byte
	x, buf [blockSize]byte
	n      int
}

func (c *cmac) init(b cipher.Block) {
	c.b = b
	c.x = zeroBlock
	b.Encrypt(c.x[:], c.x[:]) // L = AES(K, 0^128)
	c.k1 = dbl(c.x)
	c.k2 = dbl(c.k1)
	c.reset()
}

func (c *cmac) reset() {
	c.x = zeroBlock
	c.n = 0
}

func (c *cmac) write(p []byte) {
	for len(p) > 0 {
		if c.n == blockSize {
			xorBlock(&c.x, c.buf[:])
			c.b.Encrypt(c.x[:], c.x[:])
			c.n = 0
		}
		if c.n == 0 {
			// Whole blocks straight from p, always keeping the last one back.
			for len(p) > blockSize {
				xorBlock(&c.x, p)
				c.b.Encrypt(c.x[:], c.x[:])
				p = p[blockSize:]
			}
		}
		k := copy(c.buf[c.n:], p)
		c.n += k
		p = p[k:]
	}
}

func (c *cmac) sum(out *[blockSize]byte) {
	if c.n == blockSize {
		xorBlock(&c.buf, c.k1[:])
	} else {
		c.buf[c.n] = 0x80
		clear(c.buf[c.n+1:])
		xorBlock(&c.buf, c.k2[:])
	}
	xorBlock(&c.x, c.buf[:])
	c.b.Encrypt(out[:], c.x[:])
	c.buf = zeroBlock
}

// siv holds the two AES keys of one AES-SIV operation — the first half of the key for S2V (CMAC),
// the second half for CTR — and scratch blocks, so that one heap object serves the whole call.
type siv struct {
	mac     cmac
	ctr     cipher.Block
	d, t, q [blockSize]byte
	v, tag  [blockSize]byte
}

func newSIV(key []byte) (*siv, error) {
	if len(key) != KeySize {
		return nil, ErrBadKey
	}
	m, err := aes.NewCipher(key[:KeySize/2])
	if err != nil {
		return nil, ErrBadKey
	}
	c, err := aes.NewCipher(key[KeySize/2:])
	if err != nil {
		return nil, ErrBadKey
	}
	s := &siv{ctr: c}
	s.mac.init(m)
	return s, nil
}

// s2v computes S2V(K1, ad..., pt) of RFC 5297 §2.4 into out (one of s's blocks).
func (s *siv) s2v(ad [][]byte, pt []byte, out *[blockSize]byte) {
	c := &s.mac
	d, t := &s.d, &s.t
	c.reset()
	c.write(zeroBlock[:])
	c.sum(d)
	for _, a := range ad {
		*d = dbl(*d)
		c.reset()
		c.write(a)
		c.sum(t)
		xorBlock(d, t[:])
	}
	c.reset()
	if len(pt) >= blockSize {
		// T = pt xorend D
		c.write(pt[:len(pt)-blockSize])
		copy(t[:], pt[len(pt)-blockSize:])
		xorBlock(t, d[:])
		c.write(t[:])
	} else {
		// T = dbl(D) xor pad(pt)
		*d = dbl(*d)
		*t = zeroBlock
		copy(t[:], pt)
		t[len(pt)] = 0x80
		xorBlock(t, d[:])
		c.write(t[:])
	}
	c.sum(out)
}

// xorCTR encrypts or decrypts src into dst with AES-CTR under the synthetic IV s.v, with bits 31
// and 63 (counting from the right, from 0) cleared (RFC 5297 §2.5/§2.6).
func (s *siv) xorCTR(dst, src []byte) {
	if len(src) == 0 {
		return
	}
	s.q = s.v
	s.q[8] &= 0x7f
	s.q[12] &= 0x7f
	cipher.NewCTR(s.ctr, s.q[:]).XORKeyStream(dst, src)
}

// sealInto writes tag ‖ ciphertext into out, which must be exactly 16+len(pt) bytes long and may
// not overlap pt.
func sealInto(out, key []byte, ad [][]byte, pt []byte) error {
	if len(ad) > maxAD {
		return ErrTooManyAD
	}
	s, err := newSIV(key)
	if err != nil {
		return err
	}
	s.sealInto(out, ad, pt)
	return nil
}

// sealInto is sealInto under s's key; len(ad) ≤ maxAD.
func (s *siv) sealInto(out []byte, ad [][]byte, pt []byte) {
	s.s2v(ad, pt, &s.v)
	copy(out[:blockSize], s.v[:])
	s.xorCTR(out[blockSize:], pt)
}

// SIVSeal encrypts plaintext with AES-SIV (RFC 5297) under a 32-byte key (AES-128-SIV: the first
// half keys S2V/CMAC, the second half keys CTR) and the associated-data list ad. It returns the
// 16-byte synthetic IV followed by the ciphertext. ad is a list: nil or empty (no component) and
// [][]byte{{}} (one empty component) give different results. Errors: ErrBadKey, ErrTooManyAD.
func SIVSeal(key []byte, ad [][]byte, plaintext []byte) ([]byte, error) {
	out := make([]byte, blockSize+len(plaintext))
	if err := sealInto(out, key, ad, plaintext); err != nil {
		return nil, err
	}
	return out, nil
}

// SIVOpen reverses [SIVSeal]. Any failure — a wrong key or associated data, a tampered or truncated
// input — returns ErrDecrypt (ErrBadKey if the key has the wrong length); the tag is compared in
// constant time and no plaintext is released unless it authenticates.
func SIVOpen(key []byte, ad [][]byte, sealed []byte) ([]byte, error) {
	if len(sealed) < blockSize || len(ad) > maxAD {
		if len(key) != KeySize {
			return nil, ErrBadKey
		}
		return nil, ErrDecrypt
	}
	s, err := newSIV(key)
	if err != nil {
		return nil, err
	}
	return s.open(ad, sealed)
}

// open is SIVOpen under s's key; len(sealed) ≥ 16 and len(ad) ≤ maxAD.
func (s *siv) open(ad [][]byte, sealed []byte) ([]byte, error) {
	copy(s.v[:], sealed[:blockSize])
	pt := make([]byte, len(sealed)-blockSize)
	s.xorCTR(pt, sealed[blockSize:])
	s.s2v(ad, pt, &s.tag)
	if subtle.ConstantTimeCompare(s.v[:], s.tag[:]) != 1 {
		clear(pt)
		return nil, ErrDecrypt
	}
	return pt, nil
}
