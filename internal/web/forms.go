package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"edms/internal/docs"
)

// formValues is what a form posted, shown again when the form comes back.
type formValues url.Values

// Get is the first value of the field.
func (f formValues) Get(field string) string { return url.Values(f).Get(field) }

// Has reports whether the field (a multiple choice) holds the value.
func (f formValues) Has(field, value string) bool { return slices.Contains(f[field], value) }

// fieldErrors are the messages shown next to the fields of a form that came back;
// the key "" holds a message about the whole form.
type fieldErrors map[string]string

// fieldOfCode names the field at fault for the web layer's own refusals.
var fieldOfCode = map[string]string{
	"file_missing": "file", "content_too_long": "content", "date_invalid": "due_date",
	"recipient_unknown": "recipients", "deadline_invalid": "due_date",
}

// formProblems turns an error the user can correct by changing the form into the
// message for its field; any other error (not found, forbidden, a failure) is
// returned to be answered by the error page.
func formProblems(err error) (fieldErrors, error) {
	mapped := docsError(err)
	api, ok := mapped.(*apiError)
	if !ok || api.Status >= 500 || api.Status == http.StatusNotFound || api.Status == http.StatusForbidden {
		return nil, mapped
	}
	field := fieldOfCode[api.Code]
	var de *docs.Error
	if errors.As(err, &de) {
		field = de.Field
	}
	return fieldErrors{field: api.Message}, nil
}

// confirmations are the questions dangerous steps ask before they are sent.
var confirmations = map[string]string{
	"sign":   "Ký văn bản này? Sau khi ký, văn bản được chuyển văn thư cấp số và không sửa được nữa.",
	"recall": "Thu hồi văn bản đã phát hành? Nơi nhận sẽ được yêu cầu hủy bản đã nhận.",
	"reject": "Trả lại văn bản này cho nơi gửi?",
}

// confirmation is the question a step asks before it is sent, or "" for none.
func confirmation(action string) string { return confirmations[action] }
