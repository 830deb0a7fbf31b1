// Package conformance is the exchange protocol's conformance kit (`edms conformance`):
// it runs the test catalogue of shared/domain/conformance.md against a node (or hub)
// that speaks protocol v1 (package wire) and prints a table of PASS, FAIL and SKIP
// rows. It also owns the test agency's autopilot, the behaviour a target node shows
// for the agency named by `edms serve -test-agency`.
//
// # The kit plays the target's hub
//
// The target's operator registers the kit as the target's hub (`edms exchange peer
// add -role hub -cert DIR/kit.pem`) and points `-hub` at the kit's listener, so every
// package and status the target sends arrives at the kit. The kit calls the target's
// exchange endpoint with the same certificate, acting for two test agencies:
//
//	T1 = 000.00.00.T01   (the sender of most cases; its member certificate serves it)
//	T2 = 000.00.00.T02   (a second agency, for sender-binding and duplicate cases)
//	     000.00.00.T09   (an agency nobody serves: misaddressed packages)
//
// `edms conformance init -dir DIR` makes, under DIR, a kit CA (ca.pem) that issues the
// kit's TLS certificate (kit.pem, server and client), a member certificate (member.pem)
// that the operator registers as a node serving T1 only (for 5.3), agency signing
// certificates for T1 and T2 (UID = OrganId), and the bad ones the catalogue needs:
// an agency and a TLS certificate from a CA nobody trusts (rogue-*), expired ones
// (expired-*) and revoked ones (revoked-*, listed in kit.crl, which the kit serves
// over plain HTTP at the certificates' CRL distribution point while it runs).
// The operator gives the kit the CA bundle of the target (DIR/target-ca.pem), which
// verifies the target's TLS certificate, its client certificate when it calls the
// kit, and its agency's XML-DSig signatures.
//
// # Conventions the test agency follows (changes to the catalogue)
//
//   - Subject starting TEST-REJECT: returned (02) with a reason, never registered.
//   - Subject starting TEST-HOLD: registered (03) and then left alone, so that a
//     recall after 03 and before 06 (9.1) can be tested; the catalogue's test agency
//     completes everything, which leaves no such window.
//   - Subject starting TEST-SEND-BACK: handled like any other document, and the
//     agency also sends a reply to the sender (2.4): "on request" in the catalogue.
//   - Everything else: registered (03), assigned (04), started (05), completed (06).
//
// # Other changes to the catalogue
//
//   - 5.3: the kit is the target's hub, and a hub's packages are not bound to the
//     agencies it serves (wire/doc.go), so 5.3 is run with the member certificate
//     registered as a node serving T1 only.
//   - 6.5 "one byte over the limit" needs the target's limit: it runs only with
//     -max-package; without it the kit declares a Content-Length of 1 TiB instead.
//   - Ids of this kit: DocumentId is {T1},{date},{n}/TEST-{run}, the run being the
//     start time in base 36, so every run's documents are fresh.
//
// The journal (DIR/journal.json and the bytes in DIR/sent) keeps every package sent
// with its key and receipt, so a later run resends an old one (3.6).
package conformance
