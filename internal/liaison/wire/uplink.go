package wire

import (
	"io"

	"edms/internal/liaison"
)

// Forwarded is one package a hub hands to an uplink (the national-axis adapter):
// the signed bytes exactly as they arrived, and what the hub read from them.
type Forwarded struct {
	Body       io.Reader
	Size       int64
	PackageID  string
	From       string // the sender's OrganId
	DocumentID string
	Recipients []string
	Kind       liaison.Kind
}
