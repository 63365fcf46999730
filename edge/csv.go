package edge

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hermetic-chain/hermetic/reading"
)

// ErrCSV: a row of a CSV replay cannot be read: a missing or non-numeric
// field (the error names the row and the column).
var ErrCSV = errors.New("bad CSV row")

// AI4I is a replay of the AI4I 2020 predictive maintenance data set
// (datasets/ai4i2020, CC BY 4.0: S. Matzka, UCI ML Repository, DOI
// 10.24432/C5HS5C) as one machine: every row is one reading of stream
// Stream of device Device, at Start plus the row's index times Tick. Its
// values, with their units: air_temperature and process_temperature (K),
// rotational_speed (rpm), torque (N.m), tool_wear (min), type (0, 1, 2 for
// the product variants L, M, H), udi (the row's id), machine_failure and
// the five failure modes twf, hdf, pwf, osf, rnf (0 or 1). Rate paces the
// replay in readings a second; 0 replays as fast as the gateway takes
// them.
type AI4I struct {
	CSV            io.Reader
	Device, Stream string
	Start          time.Time
	Tick           time.Duration
	Rate           float64
	// Rows stops after that many rows (0: all).
	Rows int
	// Skip passes over that many rows first: a gateway resuming a replay
	// skips what its buffer already holds. Skipped rows keep their times.
	Skip int
}

// ai4iColumns are the columns AI4I reads, by header name, with the value
// name and unit they become.
var ai4iColumns = []struct{ header, name, unit string }{
	{"UDI", "udi", ""},
	{"Type", "type", ""},
	{"Air temperature [K]", "air_temperature", "K"},
	{"Process temperature [K]", "process_temperature", "K"},
	{"Rotational speed [rpm]", "rotational_speed", "rpm"},
	{"Torque [Nm]", "torque", "N.m"},
	{"Tool wear [min]", "tool_wear", "min"},
	{"Machine failure", "machine_failure", ""},
	{"TWF", "twf", ""},
	{"HDF", "hdf", ""},
	{"PWF", "pwf", ""},
	{"OSF", "osf", ""},
	{"RNF", "rnf", ""},
}

var productTypes = map[string]float64{"L": 0, "M": 1, "H": 2}

// Run implements Source.
func (a *AI4I) Run(ctx context.Context, out chan<- Sample) error {
	r := csv.NewReader(a.CSV)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrCSV, err)
	}
	index := map[string]int{}
	for i, h := range header {
		index[h] = i
	}
	cols := make([]int, len(ai4iColumns))
	for i, c := range ai4iColumns {
		j, ok := index[c.header]
		if !ok {
			return fmt.Errorf("%w: no column %q in the header", ErrCSV, c.header)
		}
		cols[i] = j
	}
	p := pacer{rate: a.Rate}
	for n := 0; a.Rows == 0 || n < a.Rows; n++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrCSV, line, err)
		}
		if n < a.Skip {
			continue
		}
		s := Sample{Device: a.Device, Stream: a.Stream, Time: a.Start.Add(time.Duration(n) * a.Tick)}
		for i, c := range ai4iColumns {
			v, err := ai4iValue(c.name, row[cols[i]])
			if err != nil {
				return fmt.Errorf("%w: line %d, column %q: %v", ErrCSV, line, c.header, err)
			}
			s.Values = append(s.Values, reading.Value{Name: c.name, Unit: c.unit, Value: v})
		}
		sortValues(s.Values)
		if err := p.wait(ctx, n-a.Skip); err != nil {
			return err
		}
		if err := send(ctx, out, s); err != nil {
			return err
		}
	}
	return nil
}

func ai4iValue(name, field string) (float64, error) {
	if field == "" {
		return 0, errors.New("missing")
	}
	if name == "type" {
		v, ok := productTypes[field]
		if !ok {
			return 0, fmt.Errorf("%q is not L, M or H", field)
		}
		return v, nil
	}
	v, err := strconv.ParseFloat(field, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", field)
	}
	return v, nil
}

func sortValues(v []reading.Value) {
	r := reading.Reading{Values: v}
	r.SortValues()
}
