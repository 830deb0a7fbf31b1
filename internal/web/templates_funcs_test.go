package web

import (
	"testing"

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
