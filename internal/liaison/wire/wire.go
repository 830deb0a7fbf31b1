package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Version is the protocol version this code speaks.
const Version = "1"

// Paths of the protocol.
const (
	PathPackages  = "/exchange/v1/packages"
	PathReports   = "/exchange/v1/reports"
	PathDirectory = "/exchange/v1/directory"
	PathTracking  = "/exchange/v1/tracking"
	PathHealth    = "/exchange/v1/health"
)

// Headers of the protocol.
const (
	HeaderVersion          = "Edms-Exchange-Version"
	HeaderPackageID        = "Edms-Package-Id"
	HeaderRecipient        = "Edms-Recipient"
	HeaderHops             = "Edms-Hops"
	HeaderReceiptSignature = "Edms-Receipt-Signature"
)

// Refusal codes (ErrorBody.Code).
const (
	CodeInvalid            = "edxml_invalid"             // not a well-formed, complete edXML package (Message names the field)
	CodeUnsupportedVersion = "edxml_unsupported_version" // Edms-Exchange-Version missing or unknown
	CodeWrongRecipient     = "edxml_wrong_recipient"     // a recipient that this peer neither is, serves nor can route to
	CodeSenderMismatch     = "edxml_sender_mismatch"     // From is not served by the authenticated peer, or the signer is not From
	CodeUnsigned           = "edxml_unsigned"            // no XML-DSig signature (or the reference library's placeholder)
	CodeBadSignature       = "edxml_bad_signature"       // the signature does not verify, or has a shape we refuse
	CodeUntrustedSigner    = "edxml_untrusted_signer"    // the signer's certificate does not chain to a trust anchor, expired or revoked
	CodeTooLarge           = "edxml_too_large"           // the package is over the receiver's limit (HTTP 413)
	CodeUnknownDocument    = "edxml_unknown_document"    // a status, recall or update for a document the receiver does not know
	CodeUnauthenticated    = "edxml_unauthenticated"     // no client certificate, or one of no registered peer (HTTP 401)
	CodeUnavailable        = "edxml_unavailable"         // the receiver cannot store right now (HTTP 503, retry)
)

// Receipt is the answer to a package that was stored durably.
type Receipt struct {
	ReceiptID  string    `json:"receipt_id"`  // the receiver's id for the package; the same for every resend
	Duplicate  bool      `json:"duplicate"`   // true when the package had arrived before
	SHA256     string    `json:"sha256"`      // lowercase hex SHA-256 of the body as it arrived (the first time)
	PackageID  string    `json:"package_id"`  // the package id the key used
	DocumentID string    `json:"document_id"` // the edXML DocumentId (status packages: ResponseFor/DocumentId)
	ReceivedAt time.Time `json:"received_at"`
	ReceivedBy string    `json:"received_by"` // the receiver's name (hub name or node name)
	Hops       []Hop     `json:"hops"`        // the relays so far, this receiver included
}

// Hop is one system a package passed through.
type Hop struct {
	Name       string    `json:"name"`        // hub or node name
	OrganID    string    `json:"organ_id"`    // the agency it acted for, when a node
	ReceiptID  string    `json:"receipt_id"`  // its receipt id
	ReceivedAt time.Time `json:"received_at"` // when it stored the package
}

// ErrorBody is the body of every refusal.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Report tells a sender's node what became of a package it sent, when a hub could
// not deliver it for good.
type Report struct {
	PackageID   string    `json:"package_id"`
	DocumentID  string    `json:"document_id"`
	From        string    `json:"from"`      // the sender's OrganId (the report is routed to it)
	Recipient   string    `json:"recipient"` // the OrganId that was not reached
	Code        string    `json:"code"`      // a refusal code
	Message     string    `json:"message"`
	ReportedBy  string    `json:"reported_by"`
	ReportedAt  time.Time `json:"reported_at"`
	OriginalRef string    `json:"receipt_id"` // the receipt the sender got for the package
}

// DirectoryEntry is one agency reachable through the network.
type DirectoryEntry struct {
	OrganID       string     `json:"organ_id"`
	Name          string     `json:"name"`
	ParentOrganID string     `json:"parent_organ_id,omitempty"`
	Hub           string     `json:"hub"`  // the hub whose member serves it
	Node          string     `json:"node"` // the member node that serves it
	Start         *time.Time `json:"start,omitempty"`
	End           *time.Time `json:"end,omitempty"` // service ended: packages to it are refused
}

// Tracking is where one package stands at one recipient.
type Tracking struct {
	DocumentID string          `json:"document_id"`
	Recipient  string          `json:"recipient"`
	State      string          `json:"state"`  // the latest status code ("01".."16"), "pending", "failed", "recalled"
	Detail     string          `json:"detail"` // reason or description of the latest entry
	History    []TrackingEntry `json:"history"`
}

// TrackingEntry is one status or event in a Tracking history.
type TrackingEntry struct {
	Code      string    `json:"code"`
	At        time.Time `json:"at"`    // the status package's Timestamp, or when the event happened
	Stale     bool      `json:"stale"` // arrived after a later status: kept in history, not applied
	Detail    string    `json:"detail"`
	ReceiptID string    `json:"receipt_id,omitempty"`
}

// Health is the body of GET /exchange/v1/health.
type Health struct {
	Status  string `json:"status"`
	Role    string `json:"role"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DefaultPackageID is the package id of a body whose sender assigned none.
func DefaultPackageID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
