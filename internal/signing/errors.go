package signing

import "errors"

// Sentinel errors callers branch on; every returned error wraps one of them or
// explains itself in a sentence.
var (
	// ErrNotPDF means the input is not a PDF file, or is too damaged to be read
	// (truncated, broken cross-reference table).
	ErrNotPDF = errors.New("not a readable PDF")
	// ErrEncrypted means the PDF is encrypted; edms neither signs nor verifies those.
	ErrEncrypted = errors.New("the PDF is encrypted")
	// ErrCertificateNotUsable means the signing certificate cannot sign now:
	// expired, not yet valid, or without the digitalSignature/nonRepudiation key usage.
	ErrCertificateNotUsable = errors.New("certificate not usable for signing")
	// ErrBadPassword means a PKCS#12 file could not be opened with the given password.
	ErrBadPassword = errors.New("wrong PKCS#12 password")
	// ErrTokenNotFound means the PKCS#11 module has no token with the requested label
	// (not plugged in) or the token holds no matching key and certificate.
	ErrTokenNotFound = errors.New("PKCS#11 token or key not found")
	// ErrUnsafeInput means pdfsign would corrupt this particular input (see the
	// pitfalls in the package documentation); nothing was written.
	ErrUnsafeInput = errors.New("pdfsign cannot sign this input safely")
)

// errNoSignatureBlock: ApplySeal found no person's signature to place the seal against.
var errNoSignatureBlock = errors.New("signing: no visible signature on the page to place the seal against; give the signer's block")
