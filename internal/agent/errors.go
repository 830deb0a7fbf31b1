package agent

import (
	"errors"
)

// apiError is the protocol's error body: a code the page branches on and the
// Vietnamese text it shows.
type apiError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

var (
	errOriginNotPaired = &apiError{"origin_not_paired", "Máy này chưa ghép nối với edms: chạy `edms agent pair <địa chỉ edms>`."}
	errOtherOrigin     = &apiError{"bad_request", "Yêu cầu ký này do một trang khác tạo."}
	errTokenAbsent     = &apiError{"token_absent", "Chưa cắm USB token ký số."}
	errPINLocked       = &apiError{"pin_locked", "USB token đã bị khóa vì nhập sai mã PIN quá số lần cho phép. Hãy liên hệ đơn vị cấp chứng thư số để mở khóa."}
	errCancelled       = &apiError{"cancelled", "Bạn đã hủy ký."}
	errExpired         = &apiError{"expired", "Yêu cầu ký đã hết hạn; hãy ký lại."}
	errTokenFailed     = &apiError{"token_error", "USB token báo lỗi khi ký. Hãy rút token ra, cắm lại rồi thử lại."}
)

func badRequest(message string) *apiError { return &apiError{"bad_request", message} }

// tokenProblem turns a Token error into what the page and the confirm page show.
func tokenProblem(err error) *apiError {
	var pe *PINError
	switch {
	case errors.As(err, &pe):
		return &apiError{"wrong_pin", wrongPINMessage(pe)}
	case errors.Is(err, ErrPINLocked):
		return errPINLocked
	case errors.Is(err, ErrTokenAbsent):
		return errTokenAbsent
	default:
		return errTokenFailed
	}
}

func wrongPINMessage(pe *PINError) string {
	switch {
	case pe.FinalTry:
		return "Mã PIN không đúng. Còn 1 lần thử: nhập sai lần nữa USB token sẽ bị khóa."
	case pe.CountLow:
		return "Mã PIN không đúng. Chỉ còn ít lần thử trước khi USB token bị khóa."
	default:
		return "Mã PIN không đúng."
	}
}
