// Package exchange is an agency node's link to its exchange hub: it owns the
// packages this node sends (River workers that build, sign and post them, and the
// sending log exchange_outbound), the packages it receives (the mutual-TLS handler
// of wire's paths, with the exactly-once inbox exchange_inbox), the peers allowed
// to call it (exchange_peers), the network directory synced from the hub
// (exchange_directory) and the link's Prometheus metrics. The protocol itself is
// written down in package wire; the documents' state lives in package docs.
package exchange
