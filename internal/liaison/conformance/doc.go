// Package conformance is the exchange protocol's conformance kit (`edms conformance`):
// it runs the test catalogue of shared/domain/conformance.md against a node (or hub)
// that speaks protocol v1 (package wire) and prints a table of PASS, FAIL and SKIP
// rows. It also owns the test agency's autopilot (Autopilot), the behaviour a target
// node shows for the agency named by `edms serve -test-agency ORGANID`.
//
// # The kit plays the target's hub
//
// The target's operator registers the kit as the target's hub (`edms exchange peer
// add -role hub -cert DIR/kit.pem`) and points `-hub` at the kit's listener, so every
// package and status the target sends arrives at the kit, which stores it, answers a
// signed receipt and serves the directory of the test network. The kit calls the
// target's exchange endpoint with the same certificate, acting for two test agencies:
//
//	T1 = 000.00.00.T01   the sender of most cases
//	T2 = 000.00.00.T02   a second agency, for sender binding and duplicate keys
//	     000.00.00.T09   an agency nobody serves (misaddressed packages)
//
// `edms conformance init -dir DIR -target-organ ORGANID` makes under DIR a kit CA
// (ca.pem) issuing the kit's TLS certificate (kit.pem, server and client), a member
// certificate (member.pem) that the operator registers as a node serving T1 only,
// agency signing certificates for T1 and T2 (UID = OrganId), and the bad ones: an
// agency and a TLS certificate from a CA nobody trusts (rogue-*), expired ones
// (expired-*) and revoked ones (revoked-*, listed in kit.crl, which the kit serves
// over plain HTTP at the certificates' CRL distribution point while it runs). It
// prints the operator's steps (OperatorSteps). The operator copies the CA bundle of
// the target to DIR/target-ca.pem: it verifies the target's TLS certificate, its
// client certificate when it calls the kit, and its agency's XML-DSig signatures.
//
// Every run's DocumentIds are fresh: {T1},{date},{n}/TEST-{run}, the run being its
// start time in base 36. The journal (DIR/journal.json, the bytes in DIR/sent) keeps
// each package delivered with its key and receipt, so that a run a day later resends
// an old one (3.6).
//
// # The test agency (Autopilot)
//
// A River periodic job looks every two seconds at what the test agency received
// through the exchange and makes one step per document, as the account
// tudong.<organid> (created on first use in a unit TUDONG of its own, with the
// clerk's, specialist's, unit head's and leader's roles and a password nobody
// knows, so every step is audited under its name):
//
//   - Subject starting TEST-REJECT: returned (02) with a reason.
//   - Subject starting TEST-HOLD: registered (03) and left there.
//   - Subject starting TEST-SEND-BACK: handled to 06, and before completing it the
//     agency drafts, approves, signs, numbers, seals and sends a reply to the
//     sender whose subject is "Trả lời văn bản <DocumentId>" (replySubject). The
//     account has no personal key, so the reply's PDF carries no PDF signature (as
//     on a node without keys); its package is signed with the agency's key.
//   - Anything else: registered (03), submitted, assigned (04), started (05),
//     completed (06).
//   - Recall and update requests are accepted (15) through the documents service's
//     AcceptChange once it has one (the documents service answers 16 itself for a
//     completed document).
//
// # Where this kit departs from the catalogue, and why
//
//   - TEST-HOLD is new: the catalogue's test agency completes everything, which
//     leaves no window for a recall after 03 and before 06 (9.1, 9.3).
//   - 2.4 "send to T1 on request" is the TEST-SEND-BACK subject, and the reply is
//     found by its subject: documents carry no ResponseFor yet.
//   - 5.3: the kit is the target's hub, and a hub's packages are not bound to the
//     agencies it serves (wire/doc.go), so 5.3 uses the member certificate,
//     registered as a node serving T1 only, sending From = T2.
//   - 6.5 "one byte over the limit" needs the target's limit (-max-package); the
//     kit always declares a Content-Length of 1 TiB, which must be refused with 413
//     before the body is read, and cuts an upload midway, after which the whole
//     package must still be new to the target.
//   - 9.1, 9.3 and 9.6 deliver the recall (13) naming the test agency in
//     Edms-Recipient, as a hub does when it delivers to a node: without it a node
//     cannot tell whom a recall of a document it never saw is for, unless it
//     serves a single agency.
//   - 5.2 and 7.3 check revocation against kit.crl, which the kit serves while it
//     runs: a target that finds no CRL or OCSP answer does not count the
//     certificate as revoked, so the kit must run where the target reaches it.
//   - 8.2 judges order by rank against Timestamp (no higher status earlier than a
//     lower one), not by arrival: the transport may reorder.
//   - 3.4 "to another recipient", 9.1 "tracking: recalled", 9.3 "update's metadata
//     tracked" and 9.5 "old one marked replaced" are not observable from outside a
//     node that hosts one test agency and tracks only what it sent; they are left
//     out, and the table says so.
//   - Cases that need an intermediate hub or the stub node S (2.2, 2.3, 4.6, 5.4, 9.4,
//     11.1–11.4), agencies the target must be set up with (4.3, 4.5), four 50 MB uploads with a
//     slow one (10.2, over 13 minutes) or the operator's hand (11.6) print SKIP with
//     the reason. 10.1's "SHA-256 equal at recipient" is the receipt's SHA-256. 11.5 (target
//     unreachable) prints one FAIL row and SKIP for the rest.
package conformance
