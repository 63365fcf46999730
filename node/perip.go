package node

import (
	"net"
	"sync"
)

// perIPListener caps the connections one remote address holds open at
// once: an accepted connection over the cap is closed at once and never
// reaches the server. Under netutil.LimitListener it keeps a single client
// from taking all the node's connection slots (a slowloris from one host),
// so that others still get in. Its table has one entry per address with a
// connection open, so it is no larger than the connection cap; many
// addresses together are bounded by that cap alone.
type perIPListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[string]int
}

func newPerIPListener(l net.Listener, max int) *perIPListener {
	return &perIPListener{Listener: l, max: max, open: map[string]int{}}
}

// Accept returns the next connection whose address is under its cap.
func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		full := l.open[ip] >= l.max
		if !full {
			l.open[ip]++
		}
		l.mu.Unlock()
		if full {
			c.Close()
			continue
		}
		return &perIPConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *perIPListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

func remoteIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// perIPConn gives its address's slot back when closed, once.
type perIPConn struct {
	net.Conn
	l    *perIPListener
	ip   string
	once sync.Once
}

func (c *perIPConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
