package signing

import "fmt"

// The change policy: what may change in a document after a signature, decided in
// one place. It follows the spirit of pyHanko's difference analysis and of the
// EU DSS validation rules: a later revision may add signatures and validation
// data, never change what the signer saw. Each change the verifier finds is
// reported with the object number and the rule that decided it.
//
// A certification signature (DocMDP, ISO 32000-1 12.8.2.2) narrows the allowed
// rules by level: P=1 permits only the validation level (DSS, document
// timestamps, identical rewrites: PAdES, ETSI EN 319 142-1 5.4, keeps long-term
// validation possible on certified documents), P=2 also form filling and
// signing, P=3 also annotations (here only the project's issue stamp, since other
// annotations are refused for everyone).

// mdpLevel is the lowest DocMDP permission under which a change is allowed.
type mdpLevel int

const (
	levelValidation mdpLevel = 1 // allowed even under DocMDP P=1
	levelSigning    mdpLevel = 2 // P=2: form filling and signing
	levelAnnotation mdpLevel = 3 // P=3: annotations as well
)

// rule is one line of the change policy.
type rule struct {
	id      string
	allowed bool
	level   mdpLevel // for allowed rules
	summary string
}

// The rules, allowed first. The ids appear in reports (text and JSON).
var (
	ruleIdentical      = rule{"identical-rewrite", true, levelValidation, "object written again with the same content"}
	ruleDSS            = rule{"dss", true, levelValidation, "long-term validation data (/DSS, /VRI) added or updated"}
	ruleDocTimestamp   = rule{"document-timestamp", true, levelValidation, "document timestamp added in a new signature field"}
	ruleMetadata       = rule{"xmp-metadata", true, levelSigning, "XMP /Metadata stream updated"}
	ruleExtensions     = rule{"extensions", true, levelSigning, "catalog /Extensions or /Version updated"}
	ruleInfo           = rule{"document-info", true, levelSigning, "document information dictionary updated"}
	rulePerms          = rule{"perms", true, levelSigning, "catalog /Perms updated"}
	ruleAcroForm       = rule{"acroform-bookkeeping", true, levelSigning, "/AcroForm /Fields grown by new signature fields, /SigFlags set, /DR grown or removed"}
	ruleNewSigField    = rule{"new-signature-field", true, levelSigning, "new signature field with its widget, signed or invisible"}
	ruleSignEmptyField = rule{"sign-empty-field", true, levelSigning, "an empty signature field signed, with a new appearance inside its rectangle"}
	ruleIssueStamp     = rule{"issue-stamp", true, levelAnnotation, "the project's number/date of issue stamp (AddIssueStamp)"}

	rulePageContent      = rule{"page-content", false, 0, "page content, resources or other page entries changed"}
	ruleAnnotation       = rule{"annotation", false, 0, "annotation added, removed or changed other than a new signature widget (without actions) or the issue stamp"}
	ruleAppearanceRect   = rule{"appearance-outside-rect", false, 0, "an appearance larger than its widget's rectangle"}
	ruleUnsignedVisible  = rule{"unsigned-widget-visible", false, 0, "a new unsigned signature field with a visible appearance"}
	ruleFormField        = rule{"form-field", false, 0, "form fields added, removed or changed other than by signing"}
	ruleCatalog          = rule{"catalog", false, 0, "catalog entry changed"}
	ruleFreed            = rule{"object-freed", false, 0, "object of the signed revision freed or deleted"}
	ruleObjectChanged    = rule{"object-changed", false, 0, "existing object changed meaning (an appearance stream, a font, anything else)"}
	ruleDamagedXref      = rule{"damaged-xref", false, 0, "a later revision's cross-reference data is damaged and had to be rebuilt by scanning"}
	ruleDocMDP           = rule{"docmdp", false, 0, "change not permitted by the certification signature (DocMDP /P)"}
	ruleFieldNotInSigned = rule{"field-not-signed", false, 0, "a signature value attached to a field that the signed revision does not hold"}
)

// changePolicy lists every rule.
var changePolicy = []rule{
	ruleIdentical, ruleDSS, ruleDocTimestamp, ruleMetadata, ruleExtensions, ruleInfo, rulePerms, ruleAcroForm,
	ruleNewSigField, ruleSignEmptyField, ruleIssueStamp,
	rulePageContent, ruleAnnotation, ruleAppearanceRect, ruleUnsignedVisible, ruleFormField, ruleCatalog,
	ruleFreed, ruleObjectChanged, ruleDamagedXref, ruleDocMDP, ruleFieldNotInSigned,
}

// PolicyRules returns the ids of every rule of the change policy, allowed first, for
// the interfaces that describe them to people.
func PolicyRules() []string {
	ids := make([]string, len(changePolicy))
	for i, r := range changePolicy {
		ids[i] = r.id
	}
	return ids
}

// Change is one difference between the signed revision and the final document.
type Change struct {
	Object  uint32 `json:"object,omitempty"` // object number, 0 for the file as a whole
	Rule    string `json:"rule"`
	Allowed bool   `json:"allowed"`
	Detail  string `json:"detail"`
}

func (c Change) String() string {
	where := "document"
	if c.Object != 0 {
		where = fmt.Sprintf("object %d", c.Object)
	}
	return fmt.Sprintf("%s [%s]: %s", where, c.Rule, c.Detail)
}

// applyDocMDP refuses the allowed changes above the certification's permission p
// (1, 2 or 3; 0 when the signature does not certify).
func applyDocMDP(changes []Change, p int64) []Change {
	if p < 1 || p > 3 {
		return changes
	}
	for i, c := range changes {
		if r := ruleByID(c.Rule); c.Allowed && int64(r.level) > p {
			changes[i] = Change{Object: c.Object, Rule: ruleDocMDP.id, Detail: fmt.Sprintf("%s, not permitted by a certification with /P %d", c.Detail, p)}
		}
	}
	return changes
}

func ruleByID(id string) rule {
	for _, r := range changePolicy {
		if r.id == id {
			return r
		}
	}
	return ruleObjectChanged
}
