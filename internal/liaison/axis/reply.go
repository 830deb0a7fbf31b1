package axis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Text is a JSON scalar read as a string whatever its JSON type: the SDK reads
// every field as text, and a missing key or null is an empty value, not an error.
type Text string

// UnmarshalJSON reads a string, number or literal as its text; null, objects and
// arrays read as empty.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		*t = ""
	default:
		*t = Text(b)
	}
	return nil
}

// reply is every answer of the axis: status, ErrorCode and ErrorDesc, with DocId
// on sendEdoc and data on the others. encoding/json matches keys without regard
// to case, as tolerant as the SDK.
type reply struct {
	Status    Text            `json:"status"`
	ErrorCode Text            `json:"ErrorCode"`
	ErrorDesc Text            `json:"ErrorDesc"`
	DocID     Text            `json:"DocId"`
	Data      json.RawMessage `json:"data"`
}

// succeeded tells an OK answer: not FAIL, and either status OK or ErrorCode "0".
func (r reply) succeeded() bool {
	if strings.EqualFold(string(r.Status), "FAIL") {
		return false
	}
	return strings.EqualFold(string(r.Status), "OK") || r.ErrorCode == "0"
}

// list decodes data as an array; a missing data or null is an empty list.
func list[T any](r reply) ([]T, error) {
	var items []T
	if len(r.Data) == 0 || bytes.Equal(bytes.TrimSpace(r.Data), []byte("null")) {
		return items, nil
	}
	if err := json.Unmarshal(r.Data, &items); err != nil {
		return nil, fmt.Errorf("axis: data is not a list: %w", err)
	}
	return items, nil
}

// Failure is a FAIL answer of the axis to one operation.
type Failure struct {
	Operation string
	Code      string // ErrorCode as sent
	Desc      string // ErrorDesc
}

func (f *Failure) Error() string {
	return fmt.Sprintf("axis: %s failed (ErrorCode %s): %s", f.Operation, f.Code, f.Desc)
}

// ErrorCodes of FAIL answers. The axis's own codes are not public (axis.md §3);
// these are the ones Fake answers and Uplink interprets. A code of 500 and above
// is a fault of the axis, worth retrying; the others refuse the request.
const (
	CodeOK               = "0"
	CodeInvalidRequest   = "400" // a parameter missing or outside its values
	CodeUnauthenticated  = "401" // signature headers missing, unknown systemid, HMAC mismatch
	CodeForbidden        = "403" // from not an agency of the system; a docId not addressed to it
	CodeNotFound         = "404" // unknown docId
	CodeUnknownRecipient = "410" // a recipient the axis does not know
	CodeDuplicate        = "409" // a new document whose DocumentId was sent before
	CodeInvalidPackage   = "422" // hash-file mismatch, malformed edXML, messagetype or from not the package's
	CodeInternal         = "500"
)

// Temporary tells a fault of the axis (ErrorCode 500 and above) from a refusal.
func (f *Failure) Temporary() bool {
	n, err := strconv.Atoi(f.Code)
	return err == nil && n >= 500
}
