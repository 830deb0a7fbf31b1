// Package remote signs through remote-signing services; CSC API v2 is the built-in kind.
//
// A Provider lists a person's credentials (certificate and chain, whether a PIN or
// an OTP is asked), has the provider send an OTP (Challenge) and signs one digest
// with the PIN/OTP the person typed in the edms page (Sign). The key never leaves
// the provider; edms passes the PIN and OTP through and never stores or logs them.
// Package cscfake is a CSC provider for the tests and the demo.
//
// # Connecting an agency's provider
//
// A remote-signing service (VNPT SmartCA, Viettel MySign, ...) that speaks the Cloud
// Signature Consortium API, directly or through a gateway, is connected by
// configuration alone; one whose API differs needs a Provider of its own (below).
// The agency asks its provider for:
//
//   - the CSC base URL (it ends in ".../csc/v2"; the methods used are info,
//     oauth2/token, credentials/list, credentials/info, credentials/sendOTP,
//     credentials/authorize and signatures/signHash);
//   - an OAuth2 client (client ID and secret, "client credentials" grant) for the
//     agency's edms installation;
//   - the account name of each official at the provider (the userID of
//     credentials/list); by default edms uses the official's user name.
//
// It then writes a providers file, a JSON array with one object per provider:
//
//	[
//	  {
//	    "id": "smartca",                  // stable key, stored with each user's account
//	    "name": "VNPT SmartCA",           // shown to the official
//	    "kind": "csc",                    // the only kind built in
//	    "base_url": "https://provider.example.vn/csc/v2",
//	    "client_id": "ubnd-xa-yen-ninh",
//	    "client_secret_env": "EDMS_SMARTCA_SECRET", // or "client_secret": "..." in the file
//	    "ca_file": "/etc/edms/smartca-ca.pem",      // optional: extra TLS roots (PEM)
//	    "timeout": "30s"                            // optional: per request, default 30s
//	  }
//	]
//
// (comments are not allowed in the real file) and starts the server with
// `edms serve -signing-providers /etc/edms/signing-providers.json`. LoadConfig
// refuses unknown fields and names the field that is missing or wrong; a secret in
// client_secret_env must be set in the server's environment. The administrator then
// sets, for each official, the provider and the account at it.
//
// When signing, edms lists the official's credentials, checks the certificate
// belongs to that person, asks the provider to send the OTP when the credential
// needs one, and sends the PIN/OTP typed in the page with the digest to
// credentials/authorize (one signature, SHA-256) and signatures/signHash
// (sha256WithRSAEncryption or ecdsa-with-SHA256, from the certificate's key).
// The value is checked against the certificate before edms embeds it.
//
// # Errors
//
// A wrong PIN or OTP is an *AuthError wrapping ErrWrongPIN or ErrWrongOTP, with
// the attempts left when the provider says so (the non-standard
// "remaining_attempts" field of the error answer; -1 otherwise). A locked or
// disabled credential is ErrLocked; an account the provider does not know,
// ErrUnknownAccount; a refused client ID or secret, ErrClientCredentials;
// timeouts, connection errors and 5xx answers, ErrUnavailable.
//
// # Another API
//
// A provider whose API is not CSC implements Provider in a new file of this
// package and gets its own Kind in New.
package remote
