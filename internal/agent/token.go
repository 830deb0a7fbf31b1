package agent

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// Sentinel errors of the token; the HTTP layer turns them into the protocol's codes.
var (
	ErrTokenAbsent = errors.New("agent: no token present")
	ErrWrongPIN    = errors.New("agent: wrong PIN")
	ErrPINLocked   = errors.New("agent: PIN locked")
)

// PINError is a wrong PIN with what the token tells about the attempts left.
type PINError struct {
	FinalTry bool // the next wrong PIN locks the token (CKF_USER_PIN_FINAL_TRY)
	CountLow bool // few attempts are left (CKF_USER_PIN_COUNT_LOW)
}

func (e *PINError) Error() string { return ErrWrongPIN.Error() }
func (e *PINError) Unwrap() error { return ErrWrongPIN }

// Token locates the person's key on a PKCS#11 token. The module is loaded and the
// token looked up on every call, so a token plugged in after the agent started is found.
type Token struct {
	Module   string // path of the PKCS#11 library (.so, .dll, .dylib)
	Label    string // token label; "" with Slot nil: the first token present
	Slot     *uint  // slot ID, instead of Label
	KeyLabel string // CKA_LABEL of the key and its certificate; "": the first key with a certificate
}

// TokenCertificate is what the token shows without a PIN: its label and the
// person's certificate, with the issuers stored beside it.
type TokenCertificate struct {
	TokenLabel  string
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // issuers found on the token, leaf excluded
	slot        uint
	keyID       []byte
	keyLabel    []byte
	flags       uint
}

// moduleMu serialises every use of a PKCS#11 module: the public look-up and
// crypto11 each initialise and finalise the library.
var moduleMu sync.Mutex

// Certificate reads the token's label and the person's certificate (public objects: no PIN).
func (t Token) Certificate() (*TokenCertificate, error) {
	moduleMu.Lock()
	defer moduleMu.Unlock()
	return t.lookUp()
}

// Sign logs in with pin and signs digest (a SHA-256 hash) with the key of the
// certificate, as crypto.Signer returns it: PKCS#1 v1.5 for RSA, ASN.1 DER for ECDSA.
func (t Token) Sign(pin string, digest []byte) ([]byte, error) {
	moduleMu.Lock()
	defer moduleMu.Unlock()
	tc, err := t.lookUp()
	if err != nil {
		return nil, err
	}
	if tc.flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
		return nil, ErrPINLocked
	}
	slot := int(tc.slot)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: t.Module, SlotNumber: &slot, Pin: pin})
	if err != nil {
		return nil, t.loginError(err)
	}
	defer ctx.Close()
	signer, err := ctx.FindKeyPair(tc.keySelector())
	if err != nil {
		return nil, fmt.Errorf("agent: find the key on token %q: %w", tc.TokenLabel, err)
	}
	if signer == nil || !publicKeyEqual(signer.Public(), tc.Certificate.PublicKey) {
		return nil, fmt.Errorf("%w: token %q has no key for the certificate %q", ErrTokenAbsent, tc.TokenLabel, tc.Certificate.Subject.CommonName)
	}
	value, err := signer.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("agent: sign on token %q: %w", tc.TokenLabel, err)
	}
	return value, nil
}

// keySelector names the private key of the certificate: its CKA_ID, or its label
// on tokens that leave the id empty.
func (tc *TokenCertificate) keySelector() (id, label []byte) {
	if len(tc.keyID) > 0 {
		return tc.keyID, nil
	}
	return nil, tc.keyLabel
}

// loginError classifies a failed crypto11.Configure; a wrong PIN carries the
// token's flags read after the failed login.
func (t Token) loginError(err error) error {
	var p11 pkcs11.Error
	if errors.As(err, &p11) {
		switch p11 {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
			pe := &PINError{}
			if tc, lerr := t.lookUp(); lerr == nil {
				if tc.flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
					return ErrPINLocked
				}
				pe.FinalTry = tc.flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0
				pe.CountLow = tc.flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0
			}
			return pe
		case pkcs11.CKR_PIN_LOCKED:
			return ErrPINLocked
		case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_SLOT_ID_INVALID:
			return fmt.Errorf("%w: %v", ErrTokenAbsent, err)
		}
	}
	return fmt.Errorf("agent: log in to the token: %w", err)
}

// lookUp loads the module, finds the token and its certificates in a read-only
// public session, and unloads the module. The caller holds moduleMu.
func (t Token) lookUp() (*TokenCertificate, error) {
	if _, err := os.Stat(t.Module); err != nil {
		return nil, fmt.Errorf("agent: PKCS#11 module: %w", err)
	}
	p := pkcs11.New(t.Module)
	if p == nil {
		return nil, fmt.Errorf("agent: unable to load the PKCS#11 module %s", t.Module)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		return nil, fmt.Errorf("agent: initialise %s: %w", t.Module, err)
	} else if err == nil {
		defer p.Finalize()
	}
	slot, info, err := t.findSlot(p)
	if err != nil {
		return nil, err
	}
	session, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("%w: open a session on token %q: %v", ErrTokenAbsent, info.Label, err)
	}
	defer p.CloseSession(session)
	objects, err := certificateObjects(p, session)
	if err != nil {
		return nil, fmt.Errorf("agent: read the certificates of token %q: %w", info.Label, err)
	}
	tc, err := t.personCertificate(objects)
	if err != nil {
		return nil, fmt.Errorf("%w (token %q)", err, info.Label)
	}
	tc.TokenLabel, tc.slot, tc.flags = info.Label, slot, info.Flags
	return tc, nil
}

func (t Token) findSlot(p *pkcs11.Ctx) (uint, pkcs11.TokenInfo, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("agent: list the slots of %s: %w", t.Module, err)
	}
	for _, slot := range slots {
		info, err := p.GetTokenInfo(slot)
		if err != nil {
			continue
		}
		if (t.Slot != nil && *t.Slot == slot) || (t.Slot == nil && (t.Label == "" || t.Label == info.Label)) {
			return slot, info, nil
		}
	}
	return 0, pkcs11.TokenInfo{}, ErrTokenAbsent
}

// certificateObject is one CKO_CERTIFICATE on the token.
type certificateObject struct {
	label, id []byte
	cert      *x509.Certificate
}

func certificateObjects(p *pkcs11.Ctx, session pkcs11.SessionHandle) ([]certificateObject, error) {
	if err := p.FindObjectsInit(session, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE)}); err != nil {
		return nil, err
	}
	handles, _, err := p.FindObjects(session, 64)
	p.FindObjectsFinal(session)
	if err != nil {
		return nil, err
	}
	var out []certificateObject
	for _, h := range handles {
		attrs, err := p.GetAttributeValue(session, h, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil), pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil), pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
		})
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(attrs[0].Value)
		if err != nil {
			continue // not an X.509 certificate edms can use
		}
		out = append(out, certificateObject{label: attrs[1].Value, id: attrs[2].Value, cert: cert})
	}
	return out, nil
}

// personCertificate picks the certificate of the key: the one labelled KeyLabel,
// or the first end-entity certificate; CA certificates on the token become its chain.
func (t Token) personCertificate(objects []certificateObject) (*TokenCertificate, error) {
	var leaf *certificateObject
	for i, o := range objects {
		if o.cert.IsCA || (t.KeyLabel != "" && string(o.label) != t.KeyLabel) {
			continue
		}
		leaf = &objects[i]
		break
	}
	if leaf == nil {
		if t.KeyLabel != "" {
			return nil, fmt.Errorf("%w: no certificate labelled %q", ErrTokenAbsent, t.KeyLabel)
		}
		return nil, fmt.Errorf("%w: no personal certificate", ErrTokenAbsent)
	}
	tc := &TokenCertificate{Certificate: leaf.cert, keyID: leaf.id, keyLabel: leaf.label}
	for cur := leaf.cert; len(tc.Chain) < len(objects); {
		issuer := issuerOf(cur, objects)
		if issuer == nil {
			break
		}
		tc.Chain = append(tc.Chain, issuer)
		cur = issuer
	}
	return tc, nil
}

func issuerOf(cert *x509.Certificate, objects []certificateObject) *x509.Certificate {
	if bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		return nil // self-signed: the top of the chain
	}
	for _, o := range objects {
		if o.cert.IsCA && cert.CheckSignatureFrom(o.cert) == nil {
			return o.cert
		}
	}
	return nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
