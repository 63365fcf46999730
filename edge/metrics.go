package edge

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus metrics, by stream where it
// applies (hermetic_edge_*).
type Metrics struct {
	// In counts samples taken from the sources; Signed the records made of
	// them; Buffered the records on disk.
	In, Signed *prometheus.CounterVec
	Buffered   prometheus.Counter
	// Anchored counts records in committed anchors; Batches the anchors.
	Anchored, Batches *prometheus.CounterVec
	// Lag is, at its last anchor, the time from the newest anchored
	// record's source time to the anchor, in seconds.
	Lag *prometheus.GaugeVec
	// Errors counts failures by what failed: ingest, buffer, anchor.
	Errors *prometheus.CounterVec
}

// NewMetrics makes the gateway's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		In:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermetic_edge_readings_in_total", Help: "Samples taken from the sources."}, []string{"stream"}),
		Signed:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermetic_edge_readings_signed_total", Help: "Records signed."}, []string{"stream"}),
		Buffered: prometheus.NewCounter(prometheus.CounterOpts{Name: "hermetic_edge_readings_buffered_total", Help: "Records on disk in the buffer."}),
		Anchored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermetic_edge_readings_anchored_total", Help: "Records in committed anchors."}, []string{"stream"}),
		Batches:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermetic_edge_batches_anchored_total", Help: "Batches anchored."}, []string{"stream"}),
		Lag:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hermetic_edge_anchor_lag_seconds", Help: "At the last anchor, the time from its newest record's source time to the anchor."}, []string{"stream"}),
		Errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermetic_edge_errors_total", Help: "Failures, by what failed."}, []string{"what"}),
	}
	reg.MustRegister(m.In, m.Signed, m.Buffered, m.Anchored, m.Batches, m.Lag, m.Errors)
	return m
}
