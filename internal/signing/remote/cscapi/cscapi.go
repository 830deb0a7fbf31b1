// Package cscapi holds the JSON messages of the Cloud Signature Consortium API
// (v2.0, with the v1.0.4 fields providers still send: authMode, PIN/OTP presence,
// credentials/sendOTP) that edms's client (package remote) and its fake provider
// (package cscfake) exchange, so both speak exactly the same JSON.
package cscapi

// Methods, relative to the provider's base URL (".../csc/v2").
const (
	MethodInfo      = "info"
	MethodToken     = "oauth2/token"
	MethodList      = "credentials/list"
	MethodCredInfo  = "credentials/info"
	MethodSendOTP   = "credentials/sendOTP"
	MethodAuthorize = "credentials/authorize"
	MethodSignHash  = "signatures/signHash"
)

// Values of request and answer fields.
const (
	GrantClientCredentials = "client_credentials"
	CertificatesChain      = "chain"
	AuthModeExplicit       = "explicit"
	KeyEnabled             = "enabled"
	KeyDisabled            = "disabled"
)

// Object identifiers of the algorithms edms uses.
const (
	OIDSHA256          = "2.16.840.1.101.3.4.2.1"
	OIDRSAEncryption   = "1.2.840.113549.1.1.1"
	OIDSHA256WithRSA   = "1.2.840.113549.1.1.11"
	OIDECPublicKey     = "1.2.840.10045.2.1"
	OIDECDSAWithSHA256 = "1.2.840.10045.4.3.2"
)

// Error codes of the CSC/OAuth2 error body.
const (
	ErrInvalidRequest = "invalid_request"
	ErrInvalidPIN     = "invalid_pin"
	ErrInvalidOTP     = "invalid_otp"
	ErrInvalidClient  = "invalid_client"
	ErrInvalidToken   = "invalid_token"
)

// Error is the body of every error answer. RemainingAttempts is an extension a
// provider may add to invalid_pin/invalid_otp (the CSC API has no field for it).
type Error struct {
	Error             string `json:"error"`
	Description       string `json:"error_description,omitempty"`
	RemainingAttempts *int   `json:"remaining_attempts,omitempty"`
}

// InfoResponse answers info. OAuth2 is the base URI of the authorization server
// (oauth2/token is relative to it).
type InfoResponse struct {
	Specs       string   `json:"specs"`
	Name        string   `json:"name"`
	Logo        string   `json:"logo,omitempty"`
	Region      string   `json:"region"`
	Lang        string   `json:"lang"`
	Description string   `json:"description"`
	AuthType    []string `json:"authType"`
	OAuth2      string   `json:"oauth2,omitempty"`
	Methods     []string `json:"methods"`
}

// TokenResponse answers oauth2/token (the request is an RFC 6749 form:
// grant_type=client_credentials, client_id, client_secret).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// ListRequest asks credentials/list for a user's credentials.
type ListRequest struct {
	UserID         string `json:"userID,omitempty"`
	CredentialInfo bool   `json:"credentialInfo,omitempty"`
	Certificates   string `json:"certificates,omitempty"`
	CertInfo       bool   `json:"certInfo,omitempty"`
	AuthInfo       bool   `json:"authInfo,omitempty"`
}

// ListResponse answers credentials/list; CredentialInfos only when asked and supported.
type ListResponse struct {
	CredentialIDs   []string         `json:"credentialIDs"`
	CredentialInfos []CredentialInfo `json:"credentialInfos,omitempty"`
}

// InfoRequest asks credentials/info about one credential.
type InfoRequest struct {
	CredentialID string `json:"credentialID"`
	Certificates string `json:"certificates,omitempty"`
	CertInfo     bool   `json:"certInfo,omitempty"`
	AuthInfo     bool   `json:"authInfo,omitempty"`
}

// CredentialInfo answers credentials/info (and is an item of credentialInfos).
type CredentialInfo struct {
	CredentialID string    `json:"credentialID,omitempty"`
	Description  string    `json:"description,omitempty"`
	Key          Key       `json:"key"`
	Cert         Cert      `json:"cert"`
	AuthMode     string    `json:"authMode,omitempty"` // v1.0.4
	PIN          *Presence `json:"PIN,omitempty"`      // v1.0.4
	OTP          *Presence `json:"OTP,omitempty"`      // v1.0.4
	Auth         *Auth     `json:"auth,omitempty"`     // v2.0
	Multisign    int       `json:"multisign"`
	Lang         string    `json:"lang,omitempty"`
}

// Key describes the credential's key; Status "enabled" or "disabled".
type Key struct {
	Status string   `json:"status"`
	Algo   []string `json:"algo"`
	Len    int      `json:"len"`
	Curve  string   `json:"curve,omitempty"`
}

// Cert carries the certificates, leaf first, base64 DER.
type Cert struct {
	Status       string   `json:"status,omitempty"`
	Certificates []string `json:"certificates,omitempty"`
	IssuerDN     string   `json:"issuerDN,omitempty"`
	SerialNumber string   `json:"serialNumber,omitempty"`
	SubjectDN    string   `json:"subjectDN,omitempty"`
	ValidFrom    string   `json:"validFrom,omitempty"`
	ValidTo      string   `json:"validTo,omitempty"`
}

// Presence is the v1.0.4 PIN/OTP description; Presence "true", "false" or "optional";
// an OTP's Type is "online" (sent by credentials/sendOTP) or "offline".
type Presence struct {
	Presence    string `json:"presence"`
	Type        string `json:"type,omitempty"`
	Format      string `json:"format,omitempty"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

// Auth is the v2.0 description of the authorization: objects of ID "PIN" / "OTP".
type Auth struct {
	Mode       string       `json:"mode"`
	Expression string       `json:"expression,omitempty"`
	Objects    []AuthObject `json:"objects,omitempty"`
}

// AuthObject is one factor of Auth.
type AuthObject struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Format string `json:"format,omitempty"`
	Label  string `json:"label,omitempty"`
}

// SendOTPRequest asks credentials/sendOTP to send the person an OTP.
type SendOTPRequest struct {
	CredentialID string `json:"credentialID"`
}

// AuthorizeRequest asks credentials/authorize for signature activation data.
type AuthorizeRequest struct {
	CredentialID     string   `json:"credentialID"`
	NumSignatures    int      `json:"numSignatures"`
	Hashes           []string `json:"hashes"` // base64
	HashAlgorithmOID string   `json:"hashAlgorithmOID"`
	PIN              string   `json:"PIN,omitempty"`
	OTP              string   `json:"OTP,omitempty"`
	Description      string   `json:"description,omitempty"`
}

// AuthorizeResponse carries the SAD.
type AuthorizeResponse struct {
	SAD       string `json:"SAD"`
	ExpiresIn int    `json:"expiresIn,omitempty"`
}

// SignHashRequest asks signatures/signHash to sign hashes authorized by SAD.
type SignHashRequest struct {
	CredentialID     string   `json:"credentialID"`
	SAD              string   `json:"SAD"`
	Hashes           []string `json:"hashes"`
	HashAlgorithmOID string   `json:"hashAlgorithmOID"`
	SignAlgo         string   `json:"signAlgo"`
}

// SignHashResponse carries the signature values, base64, in the order of the hashes.
type SignHashResponse struct {
	Signatures []string `json:"signatures"`
}

// Required reports whether a v1.0.4 presence asks for the factor.
func (p *Presence) Required() bool { return p != nil && p.Presence == "true" }

// Needs reports whether the credential asks for the factor id ("PIN" or "OTP"),
// from the v2.0 auth objects or the v1.0.4 presence.
func (c CredentialInfo) Needs(id string) bool {
	if c.Auth != nil {
		for _, o := range c.Auth.Objects {
			if o.ID == id {
				return true
			}
		}
	}
	switch id {
	case "PIN":
		return c.PIN.Required()
	case "OTP":
		return c.OTP.Required()
	}
	return false
}
