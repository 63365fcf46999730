package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/edge"
)

func TestProgress(t *testing.T) {
	n, err := rowsIn("../../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	require.Equal(t, int64(10_000), n)

	f, err := os.Open("../../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	defer f.Close()
	replay := &edge.AI4I{CSV: f, Device: "d", Stream: "s", Tick: time.Second, Skip: 9_000}
	total := addTotal(0, sourceConfig{File: "../../datasets/ai4i2020/ai4i2020.csv"}, replay)
	require.Equal(t, int64(1_000), total, "the rows left after those the buffer holds")
	sim := &edge.Sim{Device: "d", Stream: "t", Tick: time.Second, Count: 500}
	require.Equal(t, int64(1_500), addTotal(total, sourceConfig{}, sim))
	require.Equal(t, int64(-1), addTotal(total, sourceConfig{}, &edge.Sim{}), "a simulator without a count does not end")

	var w bytes.Buffer
	require.Nil(t, newProgress(&w, false, 10), "not a terminal, not asked for")
	bar := newProgress(&w, true, 1_500)
	out := make(chan edge.Sample, 2_000)
	require.NoError(t, progressSource{Source: edge.Merge(replay, sim), bar: bar}.Run(context.Background(), out))
	require.Len(t, out, 1_500)
	require.NoError(t, bar.Finish())
	require.True(t, strings.Contains(w.String(), "1500/1500"), w.String())
}
