package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// bodyKind is what a route reads from a request body.
type bodyKind int

const (
	bodyNone      bodyKind = iota // GET pages and API reads: nothing is read
	bodyForm                      // an url-encoded form (sign-in, lifecycle steps)
	bodyJSON                      // a JSON document (the API's steps)
	bodyMultipart                 // multipart/form-data with files, parsed before the handler
	bodyStream                    // multipart/form-data read by the handler as it arrives (readStreamed)
	bodyRaw                       // the body itself is the upload (an edXML package)
)

// bodyRule bounds what a route accepts as body. Every route has one, declared with it
// in the route table, and the router applies it before anything reads the body: before
// the CSRF check, which reads the form, and before the handler.
type bodyRule struct {
	kind  bodyKind
	limit int64 // bytes
}

// Limits of the bodies that carry no file.
const (
	formBodyLimit = 64 << 10
	jsonBodyLimit = 1 << 20
	// uploadMemory is how much of a multipart body is kept in memory; beyond it parts
	// spill to temporary files, removed when the request ends.
	uploadMemory = 1 << 20
)

var (
	formBody = bodyRule{kind: bodyForm, limit: formBodyLimit}
	jsonBody = bodyRule{kind: bodyJSON, limit: jsonBodyLimit}
	noBody   = bodyRule{kind: bodyNone}
)

// uploadBody is the rule of a route that receives files as multipart/form-data.
func uploadBody(limit int64) bodyRule { return bodyRule{kind: bodyMultipart, limit: limit} }

// streamedUpload is the rule of a route that streams one multipart file into the blob
// store as it arrives; a session caller sends its CSRF token in the X-CSRF-Token
// header, since the form is not read before the handler.
func streamedUpload(limit int64) bodyRule { return bodyRule{kind: bodyStream, limit: limit} }

// rawBody is the rule of a route whose body is one uploaded file.
func rawBody(limit int64) bodyRule { return bodyRule{kind: bodyRaw, limit: limit} }

// defaultBody is the rule of a route declared without an upload: forms for pages,
// JSON for the API, nothing for reads.
func defaultBody(method string, as responder) bodyRule {
	switch {
	case method == http.MethodGet:
		return noBody
	case as == asPage:
		return formBody
	}
	return jsonBody
}

var (
	errMultipartRefused = &apiError{http.StatusUnsupportedMediaType, "multipart_refused",
		"Biểu mẫu này không nhận tệp tải lên (multipart/form-data); hãy gửi biểu mẫu thông thường."}
	errNotMultipart = badRequest("form_invalid", "Biểu mẫu tải lên không hợp lệ: cần multipart/form-data.")
)

// bodyTooLarge words a body beyond the route's limit.
func bodyTooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("Dữ liệu gửi lên vượt quá dung lượng cho phép (%s).", humanSize(limit))}
}

// bound refuses a multipart body the route does not take and caps the body at the
// route's limit; it reads nothing, so it runs before authentication.
func (b bodyRule) bound(w http.ResponseWriter, r *http.Request) error {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media == "multipart/form-data" && b.kind != bodyMultipart && b.kind != bodyStream {
		return errMultipartRefused
	}
	if r.ContentLength > b.limit {
		return bodyTooLarge(b.limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, b.limit)
	return nil
}

// validCSRF checks the CSRF token of a session request: from the header, or from the
// parsed form when the route's form is read before the handler.
func (b bodyRule) validCSRF(r *http.Request, want string) bool {
	if b.kind == bodyStream {
		return sameToken(r.Header.Get("X-CSRF-Token"), want)
	}
	return validCSRF(r, want)
}

// read parses the body (parse) and checks its text and the query's (checkText).
func (b bodyRule) read(r *http.Request) error {
	if err := b.parse(r); err != nil {
		return err
	}
	return checkText(r)
}

// parse reads a form body, so that the CSRF check and the handler find its fields.
// Multipart parts beyond uploadMemory go to temporary files that release removes.
func (b bodyRule) parse(r *http.Request) error {
	var err error
	switch b.kind {
	case bodyForm:
		err = r.ParseForm()
	case bodyMultipart:
		if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media != "multipart/form-data" {
			return errNotMultipart
		}
		err = r.ParseMultipartForm(uploadMemory)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return bodyTooLarge(b.limit)
	case err != nil && b.kind == bodyMultipart:
		return errNotMultipart
	case err != nil:
		return badRequest("form_invalid", "Biểu mẫu gửi lên không hợp lệ.")
	}
	return nil
}

// release removes the temporary files of a parsed multipart body. net/http does so
// only for the request it created, and the router hands handlers copies of it.
func release(r *http.Request) {
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
}

// textInvalid refuses a field holding a NUL byte or bytes that are not UTF-8, which
// no Vietnamese text contains and PostgreSQL cannot store.
func textInvalid(field string) *apiError {
	return badRequest("text_invalid", fmt.Sprintf(
		"Trường %q chứa ký tự không hợp lệ (ký tự NUL hoặc mã không phải UTF-8); hãy nhập lại nội dung.", field))
}

func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkText is the one place the text of a request is checked: the URL query, the
// form fields, and the names of uploaded files.
func checkText(r *http.Request) error {
	values := r.Form
	if values == nil {
		values = r.URL.Query()
	}
	if err := checkValues(values); err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return nil
	}
	for field, files := range r.MultipartForm.File {
		for _, f := range files {
			if !validText(field) || !validText(f.Filename) {
				return textInvalid(field)
			}
		}
	}
	return nil
}

func checkValues(values url.Values) error {
	for field, vs := range values {
		for _, v := range vs {
			if !validText(field) || !validText(v) {
				return textInvalid(field)
			}
		}
	}
	return nil
}

// decodeJSON reads the JSON body of a request into v (see decodeStrict).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, jsonBodyLimit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyTooLarge(tooLarge.Limit)
	}
	if err != nil {
		return badRequest("body_invalid", "Không đọc được nội dung yêu cầu.")
	}
	return decodeStrict(raw, v, "body_invalid", "Nội dung yêu cầu không phải JSON hợp lệ: ")
}

// decodeStrict decodes a JSON document into v, refusing unknown fields, bytes that
// are not UTF-8 (which the decoder would silently replace) and NUL characters (which
// it would decode from \u0000).
func decodeStrict(raw []byte, v any, code, prefix string) error {
	if !utf8.Valid(raw) {
		return textInvalid("JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(code, prefix+err.Error())
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return badRequest(code, prefix+err.Error())
	}
	if field, ok := jsonNUL(tree, ""); ok {
		return textInvalid(field)
	}
	return nil
}

// jsonNUL finds a key or string holding a NUL character and names its field.
func jsonNUL(v any, field string) (string, bool) {
	switch v := v.(type) {
	case string:
		return field, strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if f, ok := jsonNUL(e, field); ok {
				return f, true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, 0) {
				return field, true
			}
			if f, ok := jsonNUL(e, k); ok {
				return f, true
			}
		}
	}
	return "", false
}
