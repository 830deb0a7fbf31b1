package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106 / OWASP: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// ErrWeakPassword is wrapped by every password-strength refusal.
var ErrWeakPassword = errors.New("weak password")

// commonPasswords are refused whatever their length.
var commonPasswords = map[string]bool{
	"1234567890": true, "12345678910": true, "0123456789": true, "password123": true, "matkhau123": true,
	"qwertyuiop": true, "abcdefghij": true, "abc1234567": true, "administrator": true, "vietnam123": true,
}

// CheckPasswordStrength refuses empty, short, common or username-based passwords.
func CheckPasswordStrength(username, password string) error {
	switch {
	case password == "":
		return fmt.Errorf("%w: the password is empty", ErrWeakPassword)
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("%w: the password must have at least %d characters", ErrWeakPassword, MinPasswordLength)
	case commonPasswords[strings.ToLower(password)]:
		return fmt.Errorf("%w: the password is too common", ErrWeakPassword)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return fmt.Errorf("%w: the password must not contain the username", ErrWeakPassword)
	case distinctRunes(password) < 5:
		return fmt.Errorf("%w: the password must use at least 5 different characters", ErrWeakPassword)
	}
	return nil
}

func distinctRunes(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[unicode.ToLower(r)] = true
	}
	return len(seen)
}

// HashPassword returns the argon2id hash of password in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("access: no randomness for a salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC-encoded argon2id hash.
func VerifyPassword(encoded, password string) (bool, error) {
	var version int
	var memory uint32
	var time uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("access: unsupported password hash format")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("access: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, fmt.Errorf("access: bad argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("access: bad salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("access: bad hash: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
