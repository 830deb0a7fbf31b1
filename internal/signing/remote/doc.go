// Package remote signs through remote-signing services; CSC API v2 is the built-in kind.
//
// A Provider lists a person's credentials (certificate and chain, whether a PIN or
// an OTP is asked), sends the OTP (Challenge) and signs one digest with the PIN/OTP
// the person typed (Sign). The key never leaves the provider and edms never keeps the
// PIN or OTP. Config/LoadConfig read the providers file; New and Registry build the
// providers; package cscfake is a CSC provider for tests and the demo.
package remote
