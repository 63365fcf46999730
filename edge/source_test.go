package edge

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/reading"
)

// collect runs src and returns what it sent.
func collect(t *testing.T, src Source) ([]Sample, error) {
	t.Helper()
	out := make(chan Sample, 64)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(context.Background(), out); close(out) }()
	var got []Sample
	for s := range out {
		got = append(got, s)
	}
	return got, <-errc
}

var t0 = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func TestAI4IReplay(t *testing.T) {
	f, err := os.Open("../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	defer f.Close()
	got, err := collect(t, &AI4I{CSV: f, Device: "ai4i", Stream: "mill", Start: t0, Tick: time.Second})
	require.NoError(t, err)
	require.Len(t, got, 10_000)
	first := got[0]
	require.Equal(t, t0, first.Time)
	require.Equal(t, t0.Add(9_999*time.Second), got[9_999].Time)
	// Row 1: 1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0
	want := map[string]float64{"udi": 1, "type": 1, "air_temperature": 298.1, "process_temperature": 308.6,
		"rotational_speed": 1551, "torque": 42.8, "tool_wear": 0, "machine_failure": 0}
	for _, v := range first.Values {
		if w, ok := want[v.Name]; ok {
			require.Equal(t, w, v.Value, v.Name)
		}
	}
	failures := 0
	for _, s := range got {
		r := reading.Reading{Device: s.Device, Stream: s.Stream, Seq: 1, Values: s.Values}
		require.NoError(t, r.Check(), "every sample is a valid reading")
		for _, v := range s.Values {
			if v.Name == "machine_failure" && v.Value == 1 {
				failures++
			}
		}
	}
	require.Equal(t, 339, failures, "the data set's 339 machine failures")
}

func TestAI4IBadRows(t *testing.T) {
	const header = "UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF\n"
	const good = "1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0\n"
	tests := []struct {
		name, csv, errHas string
	}{
		{"missing field", header + good + "2,L47181,L,298.2,,1408,46.3,3,0,0,0,0,0,0\n", `line 3, column "Process temperature [K]": missing`},
		{"non-numeric field", header + good + "2,L47181,L,298.2,308.7,fast,46.3,3,0,0,0,0,0,0\n", `line 3, column "Rotational speed [rpm]": "fast" is not a number`},
		{"unknown product type", header + "2,L47181,X,298.2,308.7,1408,46.3,3,0,0,0,0,0,0\n", `"X" is not L, M or H`},
		{"short row", header + "2,L47181,L,298.2\n", "line 2"},
		{"missing column", strings.Replace(header, ",Torque [Nm]", "", 1) + good, `no column "Torque [Nm]"`},
		{"empty", "", "header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collect(t, &AI4I{CSV: strings.NewReader(tc.csv), Device: "d", Stream: "s", Start: t0, Tick: time.Second})
			require.ErrorIs(t, err, ErrCSV)
			require.Contains(t, err.Error(), tc.errHas)
			if tc.name == "missing field" || tc.name == "non-numeric field" {
				require.Len(t, got, 1, "the rows before the bad one were sent")
			}
		})
	}
}

func TestSim(t *testing.T) {
	run := func(seed uint64) []Sample {
		got, err := collect(t, &Sim{Device: "sim", Stream: "spindle", Seed: seed, Start: t0, Tick: 100 * time.Millisecond, Count: 500})
		require.NoError(t, err)
		require.Len(t, got, 500)
		return got
	}
	a, b, c := run(7), run(7), run(8)
	require.Equal(t, a, b, "the same seed, the same readings")
	require.NotEqual(t, a, c)
	for _, s := range a {
		r := reading.Reading{Device: s.Device, Stream: s.Stream, Seq: 1, Values: s.Values}
		require.NoError(t, r.Check())
	}
}

func TestSourcesStopWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Sample) // never read: the source blocks on its first send
	errc := make(chan error, 1)
	go func() {
		errc <- (&Sim{Device: "sim", Stream: "s", Start: t0, Tick: time.Second, Rate: 1000}).Run(ctx, out)
	}()
	cancel()
	require.True(t, errors.Is(<-errc, context.Canceled))
}

func TestAI4ISkipAndMerge(t *testing.T) {
	f, err := os.Open("../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	defer f.Close()
	got, err := collect(t, Merge(
		&AI4I{CSV: f, Device: "ai4i", Stream: "mill", Start: t0, Tick: time.Second, Rows: 100, Skip: 40},
		&Sim{Device: "sim", Stream: "spindle", Start: t0, Tick: time.Second, Count: 30},
	))
	require.NoError(t, err)
	var mill []Sample
	for _, s := range got {
		if s.Stream == "mill" {
			mill = append(mill, s)
		}
	}
	require.Len(t, got, 60+30)
	require.Len(t, mill, 60)
	require.Equal(t, t0.Add(40*time.Second), mill[0].Time, "skipped rows keep their times")
	require.Equal(t, 41.0, mill[0].Values[len(mill[0].Values)-1].Value, "udi of row 41")
}
