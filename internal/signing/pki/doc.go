// Package pki is the demo and test public-key infrastructure of edms. In production the
// signing certificates come from the national certification authorities (the
// Government Cipher Committee's root for agencies and officials, licensed public CAs
// for others); on a demo network and in tests there is no such authority, so this
// package plays its part honestly: it creates a root CA called "edms demo root CA"
// that stands in for the national roots, and issues the two kinds of end-entity
// certificates that Nghị định 30 signing needs:
//
//   - a person certificate for a competent signer (the subject carries the full
//     Vietnamese name, the position as title and the agency as organisation);
//   - an agency certificate used by the clerk to apply the agency's seal.
//
// Both carry keyUsage digitalSignature + nonRepudiation (contentCommitment) and the
// emailProtection and Adobe document-signing extended key usages, which is what PDF
// verifiers (poppler/NSS, Adobe) expect of a document signer. Credentials are
// written as password-protected PKCS#12 files (AES-256/PBKDF2, encoded with
// software.sslmate.com/src/go-pkcs12 because golang.org/x/crypto/pkcs12 can only
// decode) and the root certificate as PEM for trust stores. IssueForKey certifies a
// public key whose private half lives elsewhere, e.g. on a PKCS#11 token.
// NewTimestampAuthority gives an RFC 3161 timestamp authority (an http.Handler)
// certified by the root, for signatures with a trusted time.
//
// Nothing here is meant for real certificates: a demo root CA's key is an ordinary
// file on the demo machine.
package pki
