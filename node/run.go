package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	"github.com/cometbft/cometbft/types"
	"golang.org/x/net/netutil"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// ErrHomeInUse is returned by Start when another process runs a node on the
// same home.
var ErrHomeInUse = errors.New("node home is in use by another process")

// Node is a running Hermetic node.
type Node struct {
	log     *slog.Logger
	cfg     *Config
	tree    *state.Tree
	app     *app.App
	comet   *cmtnode.Node
	dbs     *dbTracker
	enclave *sim.Enclave
	vm      *vm.VM
	home    Home
	http    *http.Server
	// APIAddr is where the API listens (resolved, so port 0 shows the port).
	APIAddr string
}

// Start opens the home's state, builds the application and starts CometBFT
// and the API. Stop it with Stop.
func Start(ctx context.Context, h Home, log *slog.Logger) (*Node, error) {
	cfg, err := LoadConfig(h)
	if err != nil {
		return nil, err
	}
	applyFDLimits(log, cfg)
	tree, err := state.Open(h.AppData(), state.Options{Logger: log.With("module", "state")})
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("%w: %s (stop the other hermeticd using it first)", ErrHomeInUse, h)
	}
	if err != nil {
		return nil, fmt.Errorf("open state in %s: %w", h.AppData(), err)
	}
	n := &Node{log: log, cfg: cfg, tree: tree, home: h}
	if n.enclave, err = openEnclave(h, log.With("module", "enclave")); err != nil {
		tree.Close()
		return nil, err
	}
	doc, err := types.GenesisDocFromFile(h.Genesis())
	if err != nil {
		tree.Close()
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	if err := prepareEnclave(ctx, n.enclave, doc, cfg, log.With("module", "enclave")); err != nil {
		tree.Close()
		return nil, err
	}
	if err := n.start(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) error {
	var err error
	n.vm, err = vm.New(ctx, vm.Config{CacheDir: n.home.WasmCache()})
	if err != nil {
		return fmt.Errorf("start contract VM: %w", err)
	}
	l := n.cfg.Limits.withDefaults()
	n.app, err = app.New(n.tree, app.Options{Logger: n.log.With("module", "app"), Enclave: n.enclave, VM: n.vm,
		QueryGasLimit: l.QueryGasLimit, Hold: l.Hold})
	if err != nil {
		return err
	}
	c := n.cfg.Comet
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("load node key: %w", err)
	}
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	logger := cometLogger{log: n.log.With("module", "cometbft"), verbose: enabled(n.log, slog.LevelDebug)}
	n.dbs = new(dbTracker)
	n.comet, err = cmtnode.NewNodeWithContext(ctx, c, pv, nodeKey,
		// One lock per ABCI connection, not one for all: the mempool's
		// CheckTx runs while a block executes (app.App says how the app
		// keeps the two apart).
		proxy.NewConnSyncLocalClientCreator(n.app),
		cmtnode.DefaultGenesisDocProviderFunc(c),
		n.dbs.provide,
		cmtnode.DefaultMetricsProvider(c.Instrumentation),
		logger)
	if err != nil {
		return fmt.Errorf("create consensus node: %w", err)
	}
	if err := n.comet.Start(); err != nil {
		return fmt.Errorf("start consensus node: %w", err)
	}
	n.log.Info("node started", "chain_id", n.app.ChainID(), "height", n.app.LastHeight(),
		"p2p", c.P2P.ListenAddress, "rpc", c.RPC.ListenAddress)
	if n.cfg.APIAddress != "" {
		if err := n.serveAPI(); err != nil {
			return err
		}
	}
	return nil
}

// serveAPI starts the HTTP API with its limits: at most APIMaxConnections
// connections (more wait in the listen backlog, holding no descriptor of
// ours), each bounded in time from its first byte to its last, so that
// idle or slow clients cannot hold the descriptors consensus needs.
func (n *Node) serveAPI() error {
	ln, err := net.Listen("tcp", n.cfg.APIAddress)
	if err != nil {
		return fmt.Errorf("API listen on %s: %w", n.cfg.APIAddress, err)
	}
	n.APIAddr = ln.Addr().String()
	l := n.cfg.Limits.withDefaults()
	log := n.log.With("module", "api")
	srv := api.New(n.app, local.New(n.comet), log, l.apiOptions())
	n.http = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: l.APIReadHeaderTimeout,
		ReadTimeout:       l.APIReadTimeout,
		WriteTimeout:      l.apiWriteTimeout(),
		IdleTimeout:       l.APIIdleTimeout,
		MaxHeaderBytes:    apiMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	limited := netutil.LimitListener(newPerIPListener(ln, l.APIMaxConnectionsPerIP), l.APIMaxConnections)
	go func() {
		if err := n.http.Serve(limited); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("API server stopped", "err", err)
		}
	}()
	n.log.Info("API listening", "address", "http://"+n.APIAddr, "max_connections", l.APIMaxConnections, "per_ip", l.APIMaxConnectionsPerIP,
		"read_timeout", l.APIReadTimeout, "write_timeout", l.apiWriteTimeout(), "idle_timeout", l.APIIdleTimeout,
		"max_concurrent_queries", l.apiOptions().WithDefaults().MaxConcurrentQueries, "query_timeout", l.APIQueryTimeout,
		"query_time_per_second", l.apiOptions().WithDefaults().QueryTimePerSecond)
	return nil
}

// App returns the node's application.
func (n *Node) App() *app.App { return n.app }

// Stop stops the API and CometBFT and closes the state. It is safe to call
// on a partly started node.
func (n *Node) Stop() {
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = n.http.Shutdown(ctx)
		cancel()
	}
	if n.comet != nil && n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			n.log.Warn("stop consensus node", "err", err)
		}
		n.comet.Wait()
	}
	if n.dbs != nil {
		n.dbs.closeAll()
	}
	if n.app != nil {
		n.app.Close()
	}
	if n.vm != nil {
		if err := n.vm.Close(context.Background()); err != nil {
			n.log.Warn("close contract VM", "err", err)
		}
	}
	if n.tree != nil {
		if err := n.tree.Close(); err != nil {
			n.log.Warn("close state", "err", err)
		}
	}
}

// Run starts the node in h and stops it when ctx is done.
func Run(ctx context.Context, h Home, log *slog.Logger) error {
	n, err := Start(ctx, h, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping node")
	n.Stop()
	log.Info("node stopped")
	return nil
}

// dbTracker opens CometBFT's databases and remembers them, because CometBFT's
// Stop does not close all of them (the transaction index stays open), and a
// node restarted in the same process could not reopen it.
type dbTracker struct {
	mu  sync.Mutex
	dbs []dbm.DB
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.dbs = append(t.dbs, db)
	t.mu.Unlock()
	return db, nil
}

// closeAll closes every database; closing one CometBFT already closed is
// harmless.
func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, db := range t.dbs {
		_ = db.Close()
	}
	t.dbs = nil
}
