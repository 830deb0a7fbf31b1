package docs

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on (an HTTP layer maps them to status codes).
var (
	ErrNotFound          = errors.New("docs: document not found")
	ErrForbidden         = errors.New("docs: not allowed")
	ErrIllegalTransition = errors.New("docs: illegal transition")
	ErrInvalid           = errors.New("docs: invalid input")
	ErrDuplicate         = errors.New("docs: duplicate")
	// ErrUnknownDocument: the exchange names a document this node does not hold (a
	// status for no outgoing document of ours, a change for no copy we received).
	ErrUnknownDocument = errors.New("docs: unknown document")
	// ErrUnknownRecipient: a status comes from an agency the document was not sent to.
	ErrUnknownRecipient = errors.New("docs: not a recipient of the document")
)

// Error carries a sentence for the user, in Vietnamese, next to the English detail for
// developers and logs. Unwrap gives the sentinel.
type Error struct {
	Kind    error
	Message string // for the user, Vietnamese
	Detail  string // for developers, English
	Field   string // the form field at fault ("subject"), when one is
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

// UserMessage returns the sentence to show a user for err: the Vietnamese message of
// an *Error, a sentence for the file errors, or a generic one for anything else.
func UserMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch {
	case errors.Is(err, ErrFileTooLarge):
		return "Tệp vượt quá dung lượng cho phép."
	case errors.Is(err, ErrFileWrongType):
		return "Nội dung tệp không đúng với loại tệp đã khai báo."
	case errors.Is(err, ErrFileEmpty):
		return "Tệp tải lên không có nội dung."
	case errors.Is(err, ErrMediaNotAllowed):
		return "Loại tệp này không được chấp nhận."
	}
	return "Đã có lỗi xảy ra; vui lòng thử lại hoặc báo quản trị hệ thống."
}

func invalid(message, detail string, args ...any) error {
	return &Error{Kind: ErrInvalid, Message: message, Detail: fmt.Sprintf(detail, args...)}
}

// invalidField is invalid, naming the form field at fault.
func invalidField(field, message, detail string, args ...any) error {
	return &Error{Kind: ErrInvalid, Message: message, Detail: fmt.Sprintf(detail, args...), Field: field}
}

func forbidden(message, detail string, args ...any) error {
	return &Error{Kind: ErrForbidden, Message: message, Detail: fmt.Sprintf(detail, args...)}
}

func notFound(id int64) error {
	return &Error{Kind: ErrNotFound, Message: "Không tìm thấy văn bản hoặc bạn không có quyền xem văn bản này.",
		Detail: fmt.Sprintf("document %d does not exist or is not visible to the actor", id)}
}
