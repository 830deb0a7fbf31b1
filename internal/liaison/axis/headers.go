package axis

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// HeaderPrefix starts the name of every parameter header of the axis.
const HeaderPrefix = "XroadVnpt-"

// Headers that carry the signature of the parameters.
const (
	headerSignKey = HeaderPrefix + "sign-header-key" // the parameter names, joined by ";"
	headerSign    = HeaderPrefix + "sign-header"     // the compact JSON that is signed
	headerHash    = HeaderPrefix + "hash-header"     // lowercase hex HMAC-SHA256 of it
	headerVersion = HeaderPrefix + "version"
)

// userAgent and sdkVersion are what the VNPT Java SDK announces.
const (
	userAgent  = "JAVASDKAgent/1.0.0 XRoad/VPCP"
	sdkVersion = "3.0.201608"
)

// vietnam is the zone of the axis's timestamps (the SDK writes its local time).
var vietnam = time.FixedZone("ICT", 7*3600)

// param is one signed parameter; order matters, since the signature is over the
// literal JSON in the order the names are listed.
type param struct{ name, value string }

// Timestamp formats t as the SDK does: ddMMyyyy'T'HHmmss, a literal "+", then the
// milliseconds padded to four digits (not a time zone).
func Timestamp(t time.Time) string {
	t = t.In(vietnam)
	return t.Format("02012006T150405") + fmt.Sprintf("+%04d", t.Nanosecond()/int(time.Millisecond))
}

// signedJSON is the compact JSON object {"XroadVnpt-<name>":"<value>",…} of params,
// in their order, without HTML escaping (as the SDK writes it).
func signedJSON(params []param) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(HeaderPrefix + p.name))
		b.WriteByte(':')
		b.WriteString(jsonString(p.value))
	}
	b.WriteByte('}')
	return b.String()
}

func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// Sign is the lowercase hex HMAC-SHA256 of the literal signed JSON under secret.
func Sign(secret, signed string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return hex.EncodeToString(mac.Sum(nil))
}

// setSignedHeaders writes the parameter headers, the plain Content-Type and the
// signature headers onto h.
func setSignedHeaders(h http.Header, params []param, secret string) {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.name
		h.Set(HeaderPrefix+p.name, p.value)
		if p.name == "Content-Type" {
			h.Set("Content-Type", p.value)
		}
	}
	signed := signedJSON(params)
	h.Set(headerSignKey, strings.Join(names, ";"))
	h.Set(headerSign, signed)
	h.Set(headerHash, Sign(secret, signed))
	h.Set(headerVersion, sdkVersion)
	h.Set("User-Agent", userAgent)
}

// HashFile is the sendEdoc hash-file of a SHA-256 sum: lowercase hex of each byte
// without zero padding (the SDK's Integer.toHexString), so it may be shorter than 64.
func HashFile(sum []byte) string {
	var b strings.Builder
	for _, c := range sum {
		fmt.Fprintf(&b, "%x", c)
	}
	return b.String()
}
