package node

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPerIPListener: one address gets at most its cap of connections; one
// more is closed at once while another address still gets in; a closed
// connection frees its slot.
func TestPerIPListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := newPerIPListener(ln, 2)
	defer l.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		return c
	}
	closedByServer := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		return err != nil && !(errors.As(err, &ne) && ne.Timeout())
	}
	a1, a2 := dial("127.0.0.1"), dial("127.0.0.1")
	s1, s2 := <-accepted, <-accepted
	a3 := dial("127.0.0.1")
	require.True(t, closedByServer(a3), "a third connection from the same address is closed")
	b1 := dial("127.0.0.2")
	<-accepted
	require.False(t, closedByServer(b1), "another address gets in")
	s1.Close()
	a1.Close()
	a4 := dial("127.0.0.1")
	<-accepted
	require.False(t, closedByServer(a4), "a freed slot is reused")
	for _, c := range []net.Conn{a2, s2, b1, a4} {
		c.Close()
	}
}
