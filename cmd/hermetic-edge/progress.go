package main

import (
	"bufio"
	"context"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hermetic-chain/hermetic/edge"
)

// progressSource counts the samples a source hands out on a progress bar.
type progressSource struct {
	edge.Source
	bar *progressbar.ProgressBar
}

func (p progressSource) Run(ctx context.Context, out chan<- edge.Sample) error {
	in := make(chan edge.Sample)
	errc := make(chan error, 1)
	go func() { errc <- p.Source.Run(ctx, in); close(in) }()
	for s := range in {
		select {
		case out <- s:
			_ = p.bar.Add(1)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return <-errc
}

// newProgress makes the bar of a run: total readings if every source ends
// (a replay, a simulator with a count), a spinner otherwise; nil when
// stderr is not a terminal and show is false.
func newProgress(w io.Writer, show bool, total int64) *progressbar.ProgressBar {
	if f, ok := w.(*os.File); !show && (!ok || !term.IsTerminal(int(f.Fd()))) {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("readings signed and buffered"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("readings"),
		progressbar.OptionThrottle(200_000_000),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(w, "\n") }))
}

// rowsIn counts the data rows of a CSV file (its lines but the header).
func rowsIn(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return max(n-1, 0), sc.Err()
}
