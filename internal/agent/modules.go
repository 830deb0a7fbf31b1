package agent

import (
	"os"
	"runtime"
)

// commonModules are PKCS#11 libraries that token middleware usually installs, per
// operating system, tried in order when -module is not given. Vendors of the tokens
// issued in Viet Nam (Ban Cơ yếu Chính phủ, VNPT-CA, Viettel-CA...) ship their own
// library with their driver; pass it with -module when it is not one of these.
var commonModules = map[string][]string{
	"windows": {
		`C:\Windows\System32\eps2003csp11.dll`, // Feitian ePass2003
		`C:\Windows\System32\eTPKCS11.dll`,     // SafeNet eToken
		`C:\Windows\System32\opensc-pkcs11.dll`,
		`C:\Program Files\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll`,
	},
	"darwin": {
		"/usr/local/lib/libcastle.1.0.0.dylib", // Feitian ePass2003
		"/usr/local/lib/libeTPkcs11.dylib",     // SafeNet eToken
		"/Library/OpenSC/lib/opensc-pkcs11.so",
		"/opt/homebrew/lib/opensc-pkcs11.so",
	},
	"linux": {
		"/usr/lib/libcastle.so.1.0.0", // Feitian ePass2003
		"/usr/lib/libeTPkcs11.so",     // SafeNet eToken
		"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib64/opensc-pkcs11.so",
		"/usr/lib/opensc-pkcs11.so",
	},
}

// DefaultModule returns the first common PKCS#11 library present on this system, or "".
func DefaultModule() string {
	for _, path := range commonModules[runtime.GOOS] {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	return ""
}
