package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"edms/internal/docs"
	"edms/internal/signing"
)

// Every rule of the verifier's change policy is described in Vietnamese on the
// document page, and no label names a rule that does not exist.
func TestEveryChangeRuleHasALabel(t *testing.T) {
	rules := signing.PolicyRules()
	for _, id := range rules {
		if changeRuleLabels[id] == "" {
			t.Errorf("change rule %q has no Vietnamese label", id)
		}
	}
	if len(changeRuleLabels) != len(rules) {
		t.Errorf("%d labels for %d rules", len(changeRuleLabels), len(rules))
	}
}

// Every recipient status declared in docs/model.go has its Vietnamese label, and no
// label names a status that does not exist.
func TestEveryRecipientStatusHasALabel(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../docs/model.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	ast.Inspect(f, func(n ast.Node) bool {
		v, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, isIdent := v.Type.(*ast.Ident); !isIdent || typ.Name != "RecipientStatus" {
			return true
		}
		for _, value := range v.Values {
			status, _ := strconv.Unquote(value.(*ast.BasicLit).Value)
			declared++
			if recipientStatusLabels[docs.RecipientStatus(status)] == "" {
				t.Errorf("recipient status %q has no Vietnamese label", status)
			}
		}
		return true
	})
	if declared == 0 || len(recipientStatusLabels) != declared {
		t.Errorf("%d labels for %d declared statuses", len(recipientStatusLabels), declared)
	}
}

// A failed delivery says why, a sent one shows the hub's receipt.
func TestDeliveryLabels(t *testing.T) {
	for _, c := range []struct {
		r    docs.RecipientState
		want string
	}{
		{docs.RecipientState{Status: docs.RecipientSending}, "Đang gửi"},
		{docs.RecipientState{Status: docs.RecipientSent, ReceiptID: "HUB-7"}, "Đã gửi (biên nhận HUB-7)"},
		{docs.RecipientState{Status: docs.RecipientSent}, "Đã gửi"},
		{docs.RecipientState{Status: docs.RecipientFailed, Note: "trục không trả lời"}, "Gửi thất bại: trục không trả lời"},
	} {
		if got := delivery(c.r); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}
