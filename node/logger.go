package node

import (
	"context"
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cometLogger hands CometBFT's logs to slog, CometBFT's info and debug lines
// at debug level (they are many: several per block) unless verbose.
type cometLogger struct {
	log     *slog.Logger
	verbose bool
}

var _ cmtlog.Logger = cometLogger{}

func (l cometLogger) Debug(msg string, kv ...any) { l.log.Debug(msg, kv...) }

func (l cometLogger) Info(msg string, kv ...any) {
	if l.verbose {
		l.log.Info(msg, kv...)
		return
	}
	l.log.Debug(msg, kv...)
}

func (l cometLogger) Warn(msg string, kv ...any)  { l.log.Warn(msg, kv...) }
func (l cometLogger) Error(msg string, kv ...any) { l.log.Error(msg, kv...) }

func (l cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{log: l.log.With(kv...), verbose: l.verbose}
}

// ParseLevel turns a configured level name into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// enabled reports whether log prints at level.
func enabled(log *slog.Logger, level slog.Level) bool {
	return log.Enabled(context.Background(), level)
}
