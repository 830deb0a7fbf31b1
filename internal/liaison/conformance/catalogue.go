package conformance

import "context"

// testCase is one row of the catalogue: a check, or the reason it is skipped.
type testCase struct {
	id   string
	run  func(s *session, ctx context.Context) Result
	skip string
}

// Reasons for skipping.
const (
	needsRelay    = "cần hub trung gian và nút S phía sau"
	needsStubNode = "cần nút S (từ chối, treo, bỏ trả lời theo kịch bản)"
	notInKit      = "chưa có trong bộ kiểm thử này"
)

// catalogue lists the cases of shared/domain/conformance.md in its order.
var catalogue = []testCase{
	{id: "1.1", run: (*session).directory},
	{id: "2.1", run: (*session).sendNew},
	{id: "2.2", skip: needsRelay},
	{id: "2.3", skip: needsStubNode},
	{id: "2.4", run: (*session).sendBack},
	{id: "2.5", run: (*session).lenientPackage},
	{id: "2.6", run: (*session).protocolVersion},
	{id: "3.1", run: (*session).resend},
	{id: "3.2", run: (*session).resigned},
	{id: "3.3", run: (*session).changedAttachment},
	{id: "3.4", run: (*session).newKeys},
	{id: "3.5", run: (*session).parallelCopies},
	{id: "3.6", run: (*session).earlierRun},
	{id: "4.1", run: (*session).unknownRecipient},
	{id: "4.2", run: (*session).transportRecipient},
	{id: "4.3", skip: "cần đích có cơ quan đã ngừng dịch vụ"},
	{id: "4.4", run: (*session).recipientTwice},
	{id: "4.5", skip: "cần đích phục vụ mã không chuẩn 28.22.H17"},
	{id: "4.6", skip: "cần đích phục vụ hai cơ quan và nút S"},
	{id: "5.1", run: (*session).noClientCertificate},
	{id: "5.2", run: (*session).badClientCertificates},
	{id: "5.3", run: (*session).memberSenderMismatch},
	{id: "5.4", skip: needsRelay},
	{id: "6.1", run: notEdXML.run},
	{id: "6.2", run: (*session).missingFields},
	{id: "6.3", run: attachmentErrors.run},
	{id: "6.4", run: doctype.run},
	{id: "6.5", run: (*session).oversized},
	{id: "7.1", run: unsignedCase.run},
	{id: "7.2", run: tampered.run},
	{id: "7.3", run: untrustedSigners.run},
	{id: "7.4", run: otherAgencySignature.run},
	{id: "7.5", run: wrapping.run},
	{id: "8.1", run: (*session).arrivedAndRegistered},
	{id: "8.2", run: (*session).handledInOrder},
	{id: "8.3", run: (*session).rejected},
	{id: "8.4", run: (*session).statusRoundTrip},
	{id: "8.5", run: (*session).staleStatus},
	{id: "8.6", run: (*session).statusErrors},
	{id: "9.1", run: (*session).recallAccepted},
	{id: "9.2", run: (*session).recallRefused},
	{id: "9.3", run: (*session).changePackages},
	{id: "9.4", skip: needsRelay},
	{id: "9.5", run: (*session).replacement},
	{id: "9.6", run: (*session).recallUnknown},
	{id: "10.1", run: (*session).largePackages},
	{id: "10.2", skip: "cần bốn gói 50 MB song song, một gói ở 64 KB/s (hơn 13 phút)"},
	{id: "11.1", skip: needsStubNode},
	{id: "11.2", skip: needsStubNode},
	{id: "11.3", skip: needsStubNode},
	{id: "11.4", skip: needsStubNode},
	{id: "11.5", skip: "đích truy cập được; trường hợp này chỉ áp dụng khi không kết nối được"},
	{id: "11.6", skip: "cần người vận hành làm hỏng nhật ký chứng cứ của đích"},
}
