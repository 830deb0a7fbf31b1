package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/signing"
)

// vietnam is the time zone dates are shown in.
var vietnam = time.FixedZone("ICT", 7*3600)

// templateFuncs are the helpers pages use to word and format things in Vietnamese.
var templateFuncs = template.FuncMap{
	"roleLabel":  func(r access.Role) string { return r.Label() },
	"date":       func(t any) string { return formatTime(t, "02/01/2006") },
	"datetime":   func(t any) string { return formatTime(t, "15:04 02/01/2006") },
	"stateLabel": docs.StateLabel,
	"stateName":  func(dir docs.Direction, state string) string { return docs.StateName(dir, state) },
	"indent":     func(depth int) string { return strings.Repeat("\u00a0\u00a0\u00a0", depth) },
	"capitalize": capitalize,
	"size":       humanSize,
	"fileKind": func(kind string) string {
		return map[string]string{docs.KindMain: "tệp chính", docs.KindAttachment: "đính kèm", docs.KindRendition: "bản PDF chuyển đổi"}[kind]
	},
	"delivery":   delivery,
	"queueState": func(st string) string { return queueStateLabels[st] },
	"assignmentRole": func(r docs.AssignmentRole) string {
		return map[docs.AssignmentRole]string{docs.RoleLead: "Chủ trì", docs.RoleCoordinate: "Phối hợp", docs.RoleInformation: "Để biết"}[r]
	},
	"noteLabel": func(action string) string {
		switch action {
		case "return", "return_signature":
			return "Ý kiến (lý do trả lại)"
		case "reject", "recall", "take_back":
			return "Lý do"
		case "assign":
			return "Bút phê (ý kiến chỉ đạo)"
		}
		return "Ghi chú"
	},
	"noteRequired": func(action string) bool {
		return action == "return" || action == "return_signature" || action == "reject" || action == "recall" || action == "take_back"
	},
	"dangerous":          func(action string) bool { return action == "reject" || action == "recall" || action == "take_back" },
	"confirmation":       confirmation,
	"signerLines":        docs.SignerLines,
	"delegationPrefixes": func() []string { return docs.DelegationPrefixes },
	"neg":                func(n int) int { return -n },
	"percent":            percentLabel,
	"statsRows":          statsRows,
	"changeRule":         func(id string) string { return changeRuleLabels[id] },
	"revocationStatus": func(status string) string {
		return map[string]string{
			signing.StatusGood: "chưa bị thu hồi", signing.StatusRevoked: "đã bị thu hồi", signing.StatusUnknown: "không xác định được",
			signing.StatusNotChecked: "không kiểm tra", signing.StatusNoService: "nhà cung cấp không công bố dịch vụ thu hồi",
		}[status]
	},
}

// statsRow is a line of a statistics table: the figures with the unit's or person's name.
type statsRow struct {
	docs.HandlingStats
	Name string
}

// statsRows names the rows of a statistics table (kind "unit" or "user").
func statsRows(rows []docs.HandlingStats, names map[int64]string, kind string) map[string]any {
	out := make([]statsRow, 0, len(rows))
	for _, r := range rows {
		id := r.UserID
		if kind == "unit" {
			id = r.UnitID
		}
		name := names[id]
		if name == "" {
			name = "(chưa giao đơn vị)"
		}
		out = append(out, statsRow{HandlingStats: r, Name: name})
	}
	return map[string]any{"Rows": out, "Kind": kind}
}

var recipientStatusLabels = map[docs.RecipientStatus]string{
	docs.RecipientPending: "Chưa gửi", docs.RecipientSending: "Đang gửi", docs.RecipientSent: "Đã gửi",
	docs.RecipientFailed: "Gửi thất bại", docs.RecipientArrived: "Đã đến",
	docs.RecipientRejected: "Từ chối tiếp nhận", docs.RecipientRegistered: "Đã vào sổ", docs.RecipientAssigned: "Đã phân công",
	docs.RecipientInProgress: "Đang xử lý", docs.RecipientCompleted: "Hoàn thành", docs.RecipientRecalled: "Đồng ý thu hồi",
	docs.RecipientRefused: "Từ chối thu hồi",
}

// delivery says where delivery stands at a recipient: its status, with the hub's
// receipt once sent through the exchange, or why it failed.
func delivery(r docs.RecipientState) string {
	label := recipientStatusLabels[r.Status]
	switch {
	case r.Status == docs.RecipientSent && r.ReceiptID != "":
		return label + " (biên nhận " + r.ReceiptID + ")"
	case r.Status == docs.RecipientFailed && r.Note != "":
		return label + ": " + r.Note
	}
	return label
}

func formatTime(v any, layout string) string {
	switch t := v.(type) {
	case time.Time:
		return t.In(vietnam).Format(layout)
	case *time.Time:
		if t != nil {
			return t.In(vietnam).Format(layout)
		}
	}
	return ""
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// changeRuleLabels say in Vietnamese what each rule of the signature verifier's change
// policy (signing.PolicyRules) covers, for the document page.
var changeRuleLabels = map[string]string{
	"identical-rewrite":       "đối tượng được ghi lại không đổi nội dung",
	"dss":                     "bổ sung dữ liệu kiểm tra dài hạn (DSS)",
	"document-timestamp":      "gắn dấu thời gian cho văn bản",
	"xmp-metadata":            "cập nhật siêu dữ liệu XMP",
	"extensions":              "cập nhật phần mở rộng, phiên bản PDF",
	"document-info":           "cập nhật thông tin tệp",
	"perms":                   "cập nhật quyền của tệp",
	"acroform-bookkeeping":    "cập nhật danh mục trường ký",
	"new-signature-field":     "thêm trường chữ ký số mới",
	"sign-empty-field":        "ký vào trường chữ ký còn trống",
	"issue-stamp":             "hệ thống ghi số, ngày ban hành",
	"page-content":            "nội dung trang bị thay đổi",
	"annotation":              "chú thích trên trang bị thêm, xóa hoặc sửa",
	"appearance-outside-rect": "hình chữ ký tràn ra ngoài khung của nó",
	"unsigned-widget-visible": "trường ký chưa ký nhưng hiện hình trên trang",
	"form-field":              "trường biểu mẫu bị thêm, xóa hoặc sửa",
	"catalog":                 "cấu trúc gốc của tệp bị thay đổi",
	"object-freed":            "đối tượng của bản đã ký bị xóa",
	"object-changed":          "đối tượng của bản đã ký bị sửa",
	"damaged-xref":            "bảng tham chiếu của lần sửa sau bị hỏng",
	"docmdp":                  "thay đổi mà chữ ký chứng nhận (DocMDP) không cho phép",
	"field-not-signed":        "giá trị chữ ký gắn vào trường không có trong bản đã ký",
}
