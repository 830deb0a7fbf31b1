// Package wire is the contract of the edms exchange protocol, version 1: how agency
// nodes (edms serve) and hubs (edms gateway) hand each other edXML packages over
// HTTPS with mutual TLS. Every other exchange package (the node's link, the hub, the
// conformance kit) speaks through these types and this client, so the protocol is
// written down once.
//
// # Peers and identity
//
// Every connection is TLS 1.2+ with a client certificate. A peer is recognised by
// the SHA-256 of its certificate's public key (SPKIFingerprint), so a renewed
// certificate with the same key keeps its registration; the certificate must also
// chain to the listener's client CA pool, be within its validity and, when the
// verifier can tell, not revoked. Each side keeps a table of its peers with the
// agencies (OrganIds) each serves; a package whose From/OrganId (status packages:
// From as well) is not served by the peer that delivered it is refused with
// CodeSenderMismatch, unless the peer is a hub, which has already checked it at its
// own edge (hubs trust only members and hubs they registered).
//
// # Sending a package
//
//	POST /exchange/v1/packages
//	Content-Type: application/xml
//	Edms-Exchange-Version: 1          (missing or other: 400 CodeUnsupportedVersion)
//	Edms-Package-Id: <sender's id>    (optional: default the lowercase hex SHA-256 of the body)
//	Edms-Recipient: <OrganId>         (optional: the one To recipient this copy is for)
//	Edms-Hops: <JSON []Hop>           (the relays so far, beside the package)
//
// The body is an edXML package (document or status), signed with the sending
// agency's key (XML-DSig over the whole document, Reference URI=""). The receiver
// streams it to durable storage, verifies it, and only then answers 200 with a
// Receipt (JSON) whose Edms-Receipt-Signature header is the receiver's TLS key's
// signature over the exact response body (see SignReceipt, VerifyReceipt). Hubs and
// relays never change the signed bytes: hops travel beside the package, in
// Edms-Hops, in receipts and in the tracking API, because appending a TraceHeader
// would break a whole-document signature.
//
// # Exactly once
//
// Transport is at-least-once; receipt is idempotent. The duplicate key is (From
// OrganId, DocumentId, business type, recipient, package id): a resend of one
// package answers 200 with Duplicate true and the first Receipt's id, at a hub and at
// a node; two updates of one document carry two package ids and are two packages.
//
// # Errors
//
// A refusal is a 4xx with an ErrorBody whose Code is one of the Code* constants and
// whose Message says what is wrong (in Vietnamese when a person will read it). 413 is
// CodeTooLarge, answered before the body is read when Content-Length says so. 5xx
// and transport failures are temporary: the sender retries with backoff. A 4xx is
// permanent: the sender stops and tells the clerk.
//
// # Reports
//
// A hub that cannot deliver a package for good (misaddressed further up, refused by
// the recipient's node) sends a Report to the sender's node, routed by the sender's
// OrganId like a package:
//
//	POST /exchange/v1/reports     (JSON Report; answered 200 with {"ok":true})
//
// # Directory, tracking, health
//
//	GET /exchange/v1/directory    → []DirectoryEntry: a hub lists its whole network
//	                                 (members, children, and what its parent lists);
//	                                 a node lists its own agencies
//	GET /exchange/v1/tracking?document_id=<DocumentId>
//	                              → []Tracking: per recipient the latest status and
//	                                 its history (only to the sender's and the
//	                                 recipients' peers)
//	GET /exchange/v1/health       → {"status":"ok","role":"node"|"hub","version":"1"}
//
// Both roles also serve Prometheus metrics on GET /metrics of their operator
// listener.
package wire
