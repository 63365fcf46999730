package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/edge/buffer"
	"github.com/hermetic-chain/hermetic/edge/store"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/reading"
)

// config is the gateway's TOML configuration (docs/data.md, "The
// gateway"). Relative paths are relative to the configuration file.
type config struct {
	// Home holds the buffer (buffer.db) and the object store (objects/).
	Home  string      `toml:"home"`
	Chain chainConfig `toml:"chain"`
	Batch struct {
		Size     int      `toml:"size"`
		Interval duration `toml:"interval"`
	} `toml:"batch"`
	// Listen serves the object store read-only at /objects/ and the
	// Prometheus metrics at /metrics.
	Listen string `toml:"listen"`
	// ObjectURL is the location anchors give objects: ObjectURL + name.
	ObjectURL string         `toml:"object_url"`
	Devices   []deviceConfig `toml:"device"`
	Sources   []sourceConfig `toml:"source"`
}

type chainConfig struct {
	Node     string `toml:"node"`
	Registry string `toml:"registry"`
	OrgID    string `toml:"org_id"`
	// Keyring, KeyringBackend and Key name the gateway's account, as
	// hermeticd keeps it; a "file" keyring's passphrase is read from
	// HERMETIC_EDGE_PASSPHRASE.
	Keyring        string `toml:"keyring"`
	KeyringBackend string `toml:"keyring_backend"`
	Key            string `toml:"key"`
}

type deviceConfig struct {
	ID  string `toml:"id"`
	Key string `toml:"key"`
}

type sourceConfig struct {
	Type   string    `toml:"type"` // "ai4i" or "sim"
	Device string    `toml:"device"`
	Stream string    `toml:"stream"`
	File   string    `toml:"file"`  // ai4i
	Rows   int       `toml:"rows"`  // ai4i: 0 for all
	Count  int       `toml:"count"` // sim: 0 for ever
	Seed   uint64    `toml:"seed"`  // sim
	Rate   float64   `toml:"rate"`  // readings a second; 0: as fast as taken
	Tick   duration  `toml:"tick"`
	Start  time.Time `toml:"start"`
}

// duration reads "1s"-style durations.
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) (err error) {
	d.Duration, err = time.ParseDuration(string(b))
	return err
}

func loadConfig(path string) (*config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c config
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.Home)
	abs(&c.Chain.Keyring)
	for i := range c.Devices {
		abs(&c.Devices[i].Key)
	}
	for i := range c.Sources {
		abs(&c.Sources[i].File)
	}
	switch {
	case c.Home == "":
		return nil, fmt.Errorf("%s: home is required", path)
	case c.Chain.Node == "" || c.Chain.Registry == "" || c.Chain.OrgID == "" || c.Chain.Key == "":
		return nil, fmt.Errorf("%s: [chain] needs node, registry, org_id and key", path)
	case len(c.Devices) == 0 || len(c.Sources) == 0:
		return nil, fmt.Errorf("%s: at least one [[device]] and one [[source]]", path)
	}
	if c.Batch.Size <= 0 {
		c.Batch.Size = 1000
	}
	if c.Batch.Interval.Duration <= 0 {
		c.Batch.Interval.Duration = time.Second
	}
	if c.Chain.KeyringBackend == "" {
		c.Chain.KeyringBackend = "file"
	}
	return &c, nil
}

func runCmd() *cobra.Command {
	var (
		file     string
		progress bool
	)
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Run the gateway: read the sources, sign, buffer, and anchor batches in the registry",
		Long: `Run the gateway with the TOML configuration FILE (docs/data.md). Every reading
is signed with its device's key and kept in the buffer until its batch is
anchored; a gateway stopped at any point (even kill -9) resumes where its
buffer ends and anchors every reading exactly once. A replay that reaches
its end anchors what is left and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(file)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, c, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)), cmd.ErrOrStderr(), progress)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file")
	cmd.Flags().BoolVar(&progress, "progress", false, "show a progress bar even when stderr is not a terminal (it is shown on a terminal)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func run(ctx context.Context, c *config, log *slog.Logger, stderr io.Writer, progress bool) error {
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return err
	}
	buf, err := buffer.Open(filepath.Join(c.Home, "buffer.db"))
	if err != nil {
		return err
	}
	defer buf.Close()
	objects := store.Folder{Dir: filepath.Join(c.Home, "objects")}
	reg := prometheus.NewRegistry()
	metrics := edge.NewMetrics(reg)
	if c.Listen != "" {
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", c.Listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/objects/", http.StripPrefix("/objects", objects.Handler()))
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
	}
	devices := map[string]reading.Signer{}
	for _, d := range c.Devices {
		s, err := edge.LoadKeyFile(d.Key)
		if err != nil {
			return fmt.Errorf("device %s: %w", d.ID, err)
		}
		devices[d.ID] = s
	}
	account, err := gatewayKey(c.Chain)
	if err != nil {
		return err
	}
	registry, err := keys.ParseContractAddress(c.Chain.Registry)
	if err != nil {
		return fmt.Errorf("[chain] registry: %w", err)
	}
	cl := client.New(c.Chain.Node)
	st, err := cl.Status(ctx)
	if err != nil {
		return fmt.Errorf("node %s: %w", c.Chain.Node, err)
	}
	var sources []edge.Source
	var closers []io.Closer
	total := int64(0) // readings the sources will hand out; -1: unbounded
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	for _, sc := range c.Sources {
		src, closer, err := newSource(sc, buf)
		if err != nil {
			return err
		}
		total = addTotal(total, sc, src)
		if closer != nil {
			closers = append(closers, closer)
		}
		sources = append(sources, src)
	}
	g := &edge.Gateway{Buffer: buf, Store: objects, Devices: devices, BatchSize: c.Batch.Size, Log: log, Metrics: metrics,
		Anchorer: &edge.Registry{Client: cl, Key: account, ChainID: st.ChainID, Contract: registry, OrgID: c.Chain.OrgID},
		Location: func(name string) string { return c.ObjectURL + name }}
	log.Info("gateway running", "sources", len(sources), "devices", len(devices), "batch", c.Batch.Size, "interval", c.Batch.Interval.Duration)
	var src edge.Source = edge.Merge(sources...)
	if bar := newProgress(stderr, progress, total); bar != nil {
		src = progressSource{Source: src, bar: bar}
		defer func() { _ = bar.Finish() }()
	}
	err = g.Run(ctx, src, c.Batch.Interval.Duration)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// addTotal adds what a source will hand out to total (-1 once a source
// does not end).
func addTotal(total int64, sc sourceConfig, src edge.Source) int64 {
	if total < 0 {
		return total
	}
	switch s := src.(type) {
	case *edge.AI4I:
		rows := int64(sc.Rows)
		if rows == 0 {
			n, err := rowsIn(sc.File)
			if err != nil {
				return -1
			}
			rows = n
		}
		return total + max(rows-int64(s.Skip), 0)
	case *edge.Sim:
		if s.Count == 0 {
			return -1
		}
		return total + int64(s.Count)
	}
	return -1
}

// newSource makes a configured source; a replay resumes after the rows
// its stream's buffer already holds.
func newSource(sc sourceConfig, buf *buffer.Buffer) (edge.Source, io.Closer, error) {
	tick := sc.Tick.Duration
	if tick <= 0 {
		tick = time.Second
	}
	switch sc.Type {
	case "ai4i":
		f, err := os.Open(sc.File)
		if err != nil {
			return nil, nil, fmt.Errorf("source %s: %w", sc.Stream, err)
		}
		tip, _, err := buf.Tip(sc.Stream)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return &edge.AI4I{CSV: f, Device: sc.Device, Stream: sc.Stream, Start: sc.Start, Tick: tick, Rate: sc.Rate, Rows: sc.Rows, Skip: int(tip)}, f, nil
	case "sim":
		return &edge.Sim{Device: sc.Device, Stream: sc.Stream, Seed: sc.Seed, Start: sc.Start, Tick: tick, Rate: sc.Rate, Count: sc.Count}, nil, nil
	}
	return nil, nil, fmt.Errorf("source %s: type %q: want ai4i or sim", sc.Stream, sc.Type)
}

func gatewayKey(c chainConfig) (keys.PrivKey, error) {
	pass := func(string) ([]byte, error) {
		p := os.Getenv("HERMETIC_EDGE_PASSPHRASE")
		if p == "" {
			return nil, errors.New("set HERMETIC_EDGE_PASSPHRASE to the keyring's passphrase")
		}
		return []byte(p), nil
	}
	kr, err := keyring.Open(c.Keyring, c.KeyringBackend, pass)
	if err != nil {
		return nil, fmt.Errorf("[chain] keyring: %w", err)
	}
	k, err := kr.Key(c.Key)
	if err != nil {
		return nil, fmt.Errorf("[chain] key %s: %w", c.Key, err)
	}
	return k, nil
}
