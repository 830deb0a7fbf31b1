// Package hub is the exchange hub, edms gateway: it accepts signed edXML packages
// from its peers (member nodes, child hubs, its parent hub) over mutual TLS, stores
// each durably before acknowledging it, and forwards one copy per recipient to the
// next hop on River, retrying with backoff and reporting failures back to the
// sender. It owns the hub_* tables: its members and the agencies each serves, the
// staged package bytes, the packages and their deliveries. It serves the network's
// directory, per-document tracking, health, Prometheus metrics and an operator page,
// and calls an optional Uplink (the national axis) for recipients outside its
// network. The protocol it speaks is package wire.
package hub
