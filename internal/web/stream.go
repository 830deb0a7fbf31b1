package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"edms/internal/docs"
)

// streamFieldLimit bounds one text field of a streamed upload: the JSON metadata of a
// document with its typed content at most.
const streamFieldLimit = 2 * maxTypedContent

// streamedForm is a multipart body read as it arrives: the text fields, then one file
// that the handler streams straight into the blob store, with no temporary copy. The
// file must be the last part; fields after it would arrive too late, and are refused
// before anything is committed (lastPart).
type streamedForm struct {
	fields url.Values
	file   *docs.FileInput // nil: the body had no file
}

var (
	errFileNotLast  = badRequest("file_not_last", "Tệp tải lên phải là phần cuối của biểu mẫu: gửi các trường (document, note) trước tệp.")
	errFieldTooLong = badRequest("field_too_long",
		fmt.Sprintf("Một trường của biểu mẫu dài quá %d KiB.", streamFieldLimit>>10))
)

// readStreamed reads the fields up to the file part named fileField and leaves that
// part for the handler to read.
func readStreamed(r *http.Request, fileField string) (*streamedForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errNotMultipart
	}
	form := &streamedForm{fields: url.Values{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, checkValues(form.fields)
		}
		if err != nil {
			return nil, partError(err)
		}
		if part.FileName() == "" {
			value, err := io.ReadAll(io.LimitReader(part, streamFieldLimit+1))
			switch {
			case err != nil:
				return nil, partError(err)
			case len(value) > streamFieldLimit:
				return nil, errFieldTooLong
			}
			form.fields.Add(part.FormName(), string(value))
			continue
		}
		if part.FormName() != fileField {
			return nil, badRequest("file_unexpected", "Tệp tải lên phải ở trường "+fileField+".")
		}
		if !validText(part.FileName()) {
			return nil, textInvalid(fileField)
		}
		in := fileInput(part.FileName(), part.Header, &lastPart{part: part, reader: mr})
		form.file = &in
		return form, checkValues(form.fields)
	}
}

// partError words a failure to read a multipart body.
func partError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyTooLarge(tooLarge.Limit)
	}
	return errNotMultipart
}

// lastPart reads the file part and, at its end, makes sure nothing follows it: a
// reading error then fails the store, and its transaction, before anything commits.
// The verdict sticks, since a reader may be asked again after its end.
type lastPart struct {
	part   *multipart.Part
	reader *multipart.Reader
	end    error // once the part has ended: io.EOF, or errFileNotLast
}

func (l *lastPart) Read(p []byte) (int, error) {
	if l.end != nil {
		return 0, l.end
	}
	n, err := l.part.Read(p)
	if !errors.Is(err, io.EOF) {
		return n, err
	}
	l.end = io.EOF
	if _, next := l.reader.NextPart(); !errors.Is(next, io.EOF) {
		l.end = errFileNotLast
	}
	return n, l.end
}
