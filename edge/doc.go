// Package edge is the machine side of Hermetic's data path, what the
// hermetic-edge gateway is made of: sources that observe machines (a CSV
// replay of the AI4I 2020 data set, a simulated machine; OPC UA and MQTT
// come next) and hand out Samples, which the gateway numbers, chains and
// signs into records (package reading), buffers durably (package
// edge/buffer), batches (package batch) and anchors.
package edge
