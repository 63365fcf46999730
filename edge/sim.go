package edge

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hermetic-chain/hermetic/reading"
)

// Sim is a simulated milling machine: a stream of readings of spindle
// speed, torque, temperatures and tool wear that drift as the tool wears,
// with noise from a generator seeded by Seed (the same seed, the same
// readings). It makes Count readings (0: until ctx ends), at Start plus
// their index times Tick, paced at Rate a second (0: as fast as taken).
type Sim struct {
	Device, Stream string
	Seed           uint64
	Start          time.Time
	Tick           time.Duration
	Rate           float64
	Count          int
}

// Run implements Source.
func (m *Sim) Run(ctx context.Context, out chan<- Sample) error {
	rng := rand.New(rand.NewPCG(m.Seed, m.Seed^0x9e3779b97f4a7c15))
	p := pacer{rate: m.Rate}
	wear := 0.0
	for n := 0; m.Count == 0 || n < m.Count; n++ {
		wear += 0.05
		if wear > 250 {
			wear = 0 // a new tool
		}
		speed := 1500 + 200*math.Sin(float64(n)/600) + rng.NormFloat64()*20
		torque := 40 + wear/25 + rng.NormFloat64()*3
		air := 298 + 2*math.Sin(float64(n)/86400*2*math.Pi) + rng.NormFloat64()*0.1
		s := Sample{Device: m.Device, Stream: m.Stream, Time: m.Start.Add(time.Duration(n) * m.Tick), Values: []reading.Value{
			{Name: "air_temperature", Unit: "K", Value: round(air, 1)},
			{Name: "process_temperature", Unit: "K", Value: round(air+10+torque*speed/1e6+rng.NormFloat64()*0.1, 1)},
			{Name: "rotational_speed", Unit: "rpm", Value: math.Round(speed)},
			{Name: "tool_wear", Unit: "min", Value: math.Floor(wear)},
			{Name: "torque", Unit: "N.m", Value: round(torque, 1)},
		}}
		if err := p.wait(ctx, n); err != nil {
			return err
		}
		if err := send(ctx, out, s); err != nil {
			return err
		}
	}
	return nil
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
