package liaison

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	messageHeaderPath = headerPath + "/MessageHeader"
	tracePath         = headerPath + "/TraceHeaderList"
	businessPath      = tracePath + "/Bussiness"
	manifestPath      = "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest"
	attachmentPath    = "/edXML/AttachmentEncoded"
)

var (
	// organIDPattern is the NNN.NN.NN.XNN identifier of state bodies.
	organIDPattern = regexp.MustCompile(`^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$`)
	// otherOrganIDPattern is what Quyết định 20/2020/QĐ-TTg allows for other schemes.
	otherOrganIDPattern = regexp.MustCompile(`^[0-9A-Z.]{1,35}$`)
	// earliestDate bounds plausible promulgation dates.
	earliestDate = Date{1945, time.September, 2}
)

// Validate checks a package's fields and manifest against the rules of the
// standard, as leniently as the real network reads them (over-long fields are
// warnings up to a hard bound), and returns every finding, located by element
// path; Violation findings make it unacceptable. Attachment bytes are checked by
// Read, which has them.
func Validate(pkg *Package) []Issue {
	v := validateFields(pkg, false)
	if pkg.Kind == KindDocument {
		v.attachments(pkg)
	}
	return v.found
}

// validateFields checks everything but the attachments; strict applies the
// standard's length limits as they are.
func validateFields(pkg *Package, strict bool) *validator {
	v := &validator{now: DateOf(time.Now()), strict: strict}
	switch pkg.Kind {
	case KindDocument:
		v.header(pkg.Header)
		v.business(pkg.Business)
	case KindStatus:
		v.status(pkg.Status)
	}
	for i, th := range pkg.Trace {
		v.organID(fmt.Sprintf("%s/%s/OrganId", tracePath, stepName("TraceHeader", i+1)), th.OrganID, false)
	}
	return v
}

type validator struct {
	now    Date
	strict bool // the standard's length limits are violations (what edms writes)
	found  issues
}

func (v *validator) mandatory(path, value string) bool {
	if strings.TrimSpace(value) == "" {
		v.found.violate(path, RuleMandatory, "is mandatory")
		return false
	}
	return true
}

// maxLength checks a length limit of the standard. Real producers exceed them, so
// a reader warns and keeps the whole value up to hardLength; what edms writes
// (strict) keeps to the standard.
func (v *validator) maxLength(path, value string, limit int) {
	n := utf8.RuneCountInString(value)
	bound := hardLength(limit)
	if v.strict {
		bound = limit
	}
	switch {
	case n > bound:
		v.found.violate(path, RuleMaxLength, "is %d characters long, at most %d allowed", n, bound)
	case n > limit:
		v.found.warn(path, RuleMaxLength, "is %d characters long, more than the %d of the standard; the whole value is kept", n, limit)
	}
}

// hardLength is the sane bound beyond which an over-long field is refused.
func hardLength(limit int) int { return max(10*limit, 200) }

func (v *validator) organID(path, id string, required bool) {
	switch {
	case id == "":
		if required {
			v.found.violate(path, RuleMandatory, "is mandatory")
		}
	case organIDPattern.MatchString(id):
	case otherOrganIDPattern.MatchString(id):
		v.found.warn(path, RuleOrganID, "%q is not of the form NNN.NN.NN.XNN", id)
	default:
		v.found.warn(path, RuleOrganID, "%q is neither NNN.NN.NN.XNN nor 1–35 characters of [0-9A-Z.]", id)
	}
}

func (v *validator) date(path string, d Date, required bool) {
	switch {
	case d.IsZero():
		if required {
			v.found.violate(path, RuleMandatory, "is mandatory")
		}
	case d.Time().After(v.now.Time()):
		v.found.violate(path, RuleDate, "%s is in the future", d)
	case d.Time().Before(earliestDate.Time()):
		v.found.violate(path, RuleDate, "%s is implausibly early", d)
	}
}

func (v *validator) rangeInt(path string, n, lo, hi int, rule string) {
	if n < lo || n > hi {
		v.found.violate(path, rule, "%d is outside %d–%d", n, lo, hi)
	}
}

func (v *validator) header(h *MessageHeader) {
	p := messageHeaderPath
	v.organID(p+"/From/OrganId", h.From.OrganID, true)
	if len(h.To) == 0 {
		v.found.violate(p+"/To", RuleMandatory, "at least one recipient is mandatory")
	}
	seen := map[string]int{}
	for i, to := range h.To {
		path := fmt.Sprintf("%s/%s/OrganId", p, stepName("To", i+1))
		v.organID(path, to.OrganID, true)
		if first, dup := seen[to.OrganID]; dup && to.OrganID != "" {
			v.found.violate(path, RuleDuplicate, "%s is already the recipient To[%d]", to.OrganID, first)
		}
		seen[to.OrganID] = i + 1
	}
	if v.mandatory(p+"/Code/CodeNumber", h.Code.Number) {
		v.maxLength(p+"/Code/CodeNumber", h.Code.Number, 11)
	}
	if v.mandatory(p+"/Code/CodeNotation", h.Code.Notation) {
		v.maxLength(p+"/Code/CodeNotation", h.Code.Notation, 30)
	}
	v.maxLength(p+"/PromulgationInfo/Place", h.Place, 50)
	v.date(p+"/PromulgationInfo/PromulgationDate", h.PromulgationDate, true)
	v.maxLength(p+"/DocumentType/TypeName", h.DocumentType.TypeName, 100)
	if v.mandatory(p+"/Subject", h.Subject) {
		v.maxLength(p+"/Subject", h.Subject, 500)
	}
	v.maxLength(p+"/Content", h.Content, 500)
	if !h.DueDate.IsZero() && !h.PromulgationDate.IsZero() && h.DueDate.Time().Before(h.PromulgationDate.Time()) {
		v.found.warn(p+"/DueDate", RuleDate, "due date %s is before the promulgation date %s", h.DueDate, h.PromulgationDate)
	}
	v.otherInfo(p+"/OtherInfo", h.OtherInfo)
	for i, place := range h.ToPlaces {
		v.maxLength(fmt.Sprintf("%s/ToPlaces/%s", p, stepName("Place", i+1)), place, 150)
	}
	for i, rf := range h.ResponseFor {
		v.organID(fmt.Sprintf("%s/%s/OrganId", p, stepName("ResponseFor", i+1)), rf.OrganID, false)
	}
	v.documentID(p+"/DocumentId", h)
}

func (v *validator) otherInfo(p string, o OtherInfo) {
	v.rangeInt(p+"/Priority", o.Priority, 0, 4, RulePriority)
	v.maxLength(p+"/SphereOfPromulgation", o.SphereOfPromulgation, 100)
	v.maxLength(p+"/TyperNotation", o.TyperNotation, 10)
	v.rangeInt(p+"/PromulgationAmount", o.PromulgationAmount, 0, 1<<30, RuleInteger)
	v.rangeInt(p+"/PageAmount", o.PageAmount, 0, 1<<30, RuleInteger)
}

// documentID checks the {OrganId},{yyyy/MM/dd},{number}/{symbol} convention; real
// packages break it, so it only warns.
func (v *validator) documentID(path string, h *MessageHeader) {
	if !v.mandatory(path, h.DocumentID) {
		return
	}
	organ, date, code, ok := SplitDocumentID(h.DocumentID)
	if !ok {
		v.found.warn(path, RuleDocumentID, "%q is not {OrganId},{yyyy/MM/dd},{number}/{symbol}", h.DocumentID)
		return
	}
	if organ != h.From.OrganID {
		v.found.warn(path, RuleDocumentID, "names agency %s, but the sender is %s", organ, h.From.OrganID)
	}
	if want := h.Code.Number + "/" + h.Code.Notation; code != want {
		v.found.warn(path, RuleDocumentID, "names document %s, but Code is %s", code, want)
	}
	if date != h.PromulgationDate.String() {
		v.found.warn(path, RuleDocumentID, "names date %s, but PromulgationDate is %s", date, h.PromulgationDate)
	}
}

// SplitDocumentID splits a DocumentId written by the convention
// {OrganId},{yyyy/MM/dd},{number}/{symbol}; ok is false when it does not follow it
// or its date does not exist.
func SplitDocumentID(id string) (organ, date, code string, ok bool) {
	parts := strings.SplitN(id, ",", 3)
	if len(parts) != 3 || !strings.Contains(parts[2], "/") {
		return "", "", "", false
	}
	if _, err := time.Parse(dateLayout, parts[1]); err != nil {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// DocumentID builds the DocumentId of a document by the convention.
func DocumentID(organID string, date Date, code Code) string {
	return organID + "," + date.String() + "," + code.Number + "/" + code.Notation
}

func (v *validator) business(b *Business) {
	if b == nil {
		return
	}
	p := businessPath
	if b.DocumentID != "" {
		if _, _, _, ok := SplitDocumentID(b.DocumentID); !ok {
			v.found.warn(p+"/DocumentId", RuleDocumentID, "%q does not follow {OrganId},{yyyy/MM/dd},{number}/{symbol} with a real date", b.DocumentID)
		}
	}
	v.rangeInt(p+"/Paper", b.Paper, 0, 1, RuleBusiness)
	switch b.DocType {
	case BusinessNew, BusinessRevoke:
	case BusinessUpdate:
		v.updateInfo(p+"/BussinessDocumentInfo", b.DocumentInfo)
	case BusinessReplace:
		v.replacements(p+"/ReplacementInfoList", b.Replacements)
	default:
		v.found.violate(p+"/BussinessDocType", RuleBusiness, "%d is not 0 (new), 1 (revoke), 2 (update) or 3 (replace)", b.DocType)
	}
}

func (v *validator) updateInfo(p string, info *BusinessDocumentInfo) {
	if info == nil {
		v.found.violate(p, RuleBusiness, "an update (BussinessDocType 2) must say what changes")
		return
	}
	v.rangeInt(p+"/DocumentInfo", info.DocumentInfo, 0, 1, RuleBusiness)
	v.rangeInt(p+"/DocumentReceiver", info.DocumentReceiver, 0, 1, RuleBusiness)
	if info.DocumentReceiver == 1 && len(info.Receivers) == 0 {
		v.found.violate(p+"/ReceiverList", RuleBusiness, "recipients changed (DocumentReceiver 1) but no Receiver is listed")
	}
	for i, r := range info.Receivers {
		rp := fmt.Sprintf("%s/ReceiverList/%s", p, stepName("Receiver", i+1))
		v.organID(rp+"/OrganId", r.OrganID, true)
		v.rangeInt(rp+"/ReceiverType", r.ReceiverType, 0, 1, RuleBusiness)
	}
}

func (v *validator) replacements(p string, list []ReplacementInfo) {
	if len(list) == 0 {
		v.found.violate(p, RuleBusiness, "a replacement (BussinessDocType 3) must name the replaced document")
	}
	for i, r := range list {
		rp := fmt.Sprintf("%s/%s", p, stepName("ReplacementInfo", i+1))
		v.mandatory(rp+"/DocumentId", r.DocumentID)
		for j, id := range r.OrganIDs {
			v.organID(fmt.Sprintf("%s/OrganIdList/%s", rp, stepName("OrganId", j+1)), id, true)
		}
	}
}

func (v *validator) status(s *Status) {
	p := messageHeaderPath
	v.organID(p+"/From/OrganId", s.From.OrganID, true)
	v.organID(p+"/ResponseFor/OrganId", s.ResponseFor.OrganID, true)
	v.mandatory(p+"/ResponseFor/DocumentId", s.ResponseFor.DocumentID)
	if _, known := StatusCodes[s.StatusCode]; !known {
		v.found.violate(p+"/StatusCode", RuleStatusCode, "%q is not a known status code (01–06, 13, 15, 16)", s.StatusCode)
	}
	if s.Timestamp.IsZero() {
		v.found.violate(p+"/Timestamp", RuleMandatory, "is mandatory")
	} else if s.Timestamp.After(time.Now().Add(24 * time.Hour)) {
		v.found.violate(p+"/Timestamp", RuleDate, "%s is in the future", formatTimestamp(s.Timestamp))
	}
}

// attachments checks that manifest and attachments match one to one (the reader
// checks each attachment's bytes against its declared types while reading).
func (v *validator) attachments(pkg *Package) {
	refs := map[string]AttachmentMeta{}
	for i, ref := range pkg.Manifest {
		path := fmt.Sprintf("%s/%s/ContentId", manifestPath, stepName("Reference", i+1))
		if !v.mandatory(path, ref.ContentID) {
			continue
		}
		if _, dup := refs[ref.ContentID]; dup {
			v.found.violate(path, RuleManifest, "ContentId %s is referenced twice", ref.ContentID)
		}
		refs[ref.ContentID] = ref
	}
	stored := map[string]bool{}
	for i, att := range pkg.Attachments {
		if att.FromArchive != "" {
			continue
		}
		path := fmt.Sprintf("%s/%s", attachmentPath, stepName("Attachment", i+1))
		v.attachment(path, att, refs, stored)
	}
	for i, ref := range pkg.Manifest {
		if ref.ContentID != "" && !stored[ref.ContentID] {
			v.found.violate(fmt.Sprintf("%s/%s", manifestPath, stepName("Reference", i+1)), RuleManifest, "no attachment carries ContentId %s", ref.ContentID)
		}
	}
}

func (v *validator) attachment(path string, att Attachment, refs map[string]AttachmentMeta, stored map[string]bool) {
	if !v.mandatory(path+"/ContentId", att.ContentID) {
		return
	}
	if stored[att.ContentID] {
		v.found.violate(path+"/ContentId", RuleManifest, "ContentId %s is carried twice", att.ContentID)
	}
	stored[att.ContentID] = true
	if _, listed := refs[att.ContentID]; !listed {
		v.found.violate(path+"/ContentId", RuleManifest, "ContentId %s is not in the manifest", att.ContentID)
	}
}
