package signing

import (
	"bytes"
	"fmt"
	"io"

	"github.com/digitorus/pdf"
)

// checkLaterChanges compares the revision the signature covers with the final
// document. Permitted after a signature: new signatures (their fields, widgets and
// appearances, the catalog's AcroForm and the pages' /Annots growing by them), the
// project's own number/date stamp, and the document information dictionary. Any
// other object that was changed makes the result "modified after signing".
func (v *verification) checkLaterChanges(signedEnd int64) {
	r := &v.report
	if r.CoversWholeDocument {
		return
	}
	if revisionIndex(v.revisions, v.doc.size) <= r.Revision {
		r.ModifiedAfterSigning = true
		v.problem("%d bytes follow the signed revision without forming a new revision", v.doc.size-signedEnd)
		return
	}
	old, err := NewDocument(io.NewSectionReader(v.doc.r, 0, signedEnd), signedEnd).open()
	if err != nil {
		r.ModifiedAfterSigning = true
		v.problem("the signed revision cannot be read on its own: %v", err)
		return
	}
	d := &diff{old: old, final: v.final}
	d.run()
	r.LaterChanges = d.allowed
	v.stamps = d.stamps
	if len(d.forbidden) > 0 {
		r.ModifiedAfterSigning = true
		r.Problems = append(r.Problems, d.forbidden...)
	}
}

// diff classifies the objects changed between two revisions.
type diff struct {
	old, final *pdf.Reader
	allowed    []string
	forbidden  []string
	stamps     []string
}

func (d *diff) forbid(format string, args ...any) {
	d.forbidden = append(d.forbidden, "modified after signing: "+fmt.Sprintf(format, args...))
}

func (d *diff) allow(format string, args ...any) {
	d.allowed = appendNew(d.allowed, fmt.Sprintf(format, args...))
}

func (d *diff) run() {
	oldRoot, newRoot := d.old.Trailer().Key("Root"), d.final.Trailer().Key("Root")
	if !d.final.Trailer().Key("Encrypt").IsNull() {
		d.forbid("encryption was added")
	}
	d.compareCatalog(oldRoot, newRoot)
	acroID := objID(oldRoot.Key("AcroForm"))
	infoID := objID(d.old.Trailer().Key("Info"))
	oldX, newX := d.old.Xref(), d.final.Xref()
	for id := 1; id < len(oldX); id++ {
		ptr := oldX[id].Ptr()
		if ptr.GetID() != uint32(id) || (id < len(newX) && newX[id] == oldX[id]) {
			continue // free in the signed revision, or unchanged
		}
		oldV := d.old.Resolve(ptr, ptr)
		var newV pdf.Value
		if id < len(newX) {
			newV = d.final.Resolve(ptr, ptr)
		}
		switch {
		case newV.IsNull():
			d.forbid("object %d was deleted", id)
		case uint32(id) == objID(oldRoot):
			// compared above
		case uint32(id) == acroID && acroID != objID(oldRoot):
			d.compareFields(oldRoot.Key("AcroForm"), newRoot.Key("AcroForm"))
		case uint32(id) == infoID:
			d.allow("document information dictionary updated")
		case oldV.Key("Type").Name() == "Page":
			d.comparePage(oldV, newV)
		case isSignatureField(oldV) && oldV.Key("V").IsNull():
			d.allow("empty signature field %q signed", oldV.Key("T").Text())
		default:
			d.forbid("object %d (%s) was changed", id, describe(oldV))
		}
	}
}

// compareCatalog allows the catalog to change only in its AcroForm (signature
// fields added), its /Version and its /DSS (long-term validation data).
func (d *diff) compareCatalog(oldRoot, newRoot pdf.Value) {
	for _, k := range unionKeys(oldRoot, newRoot) {
		if k == "AcroForm" || k == "Version" || k == "DSS" {
			continue
		}
		if !sameValue(oldRoot.Key(k), newRoot.Key(k), objID(oldRoot), objID(newRoot), 0) {
			d.forbid("catalog entry /%s changed", k)
		}
	}
	if objID(oldRoot.Key("AcroForm")) == objID(oldRoot) || objID(newRoot.Key("AcroForm")) == objID(newRoot) {
		d.compareFields(oldRoot.Key("AcroForm"), newRoot.Key("AcroForm"))
	}
}

// compareFields requires every old form field to remain and every new one to be
// a signature field.
func (d *diff) compareFields(oldForm, newForm pdf.Value) {
	oldFields := refSet(oldForm.Key("Fields"))
	newFields := newForm.Key("Fields")
	for i := 0; i < newFields.Len(); i++ {
		f := newFields.Index(i)
		if oldFields[objID(f)] {
			delete(oldFields, objID(f))
			continue
		}
		if !isSignatureField(f) {
			d.forbid("form field %q (%s) added", f.Key("T").Text(), f.Key("FT").Name())
			continue
		}
		d.allow("signature field %q added", f.Key("T").Text())
	}
	for id := range oldFields {
		d.forbid("form field object %d removed from the AcroForm", id)
	}
}

// comparePage allows a page to change only by new annotations that are signature
// widgets or the project's issue stamp.
func (d *diff) comparePage(oldPage, newPage pdf.Value) {
	for _, k := range unionKeys(oldPage, newPage) {
		if k != "Annots" && !sameValue(oldPage.Key(k), newPage.Key(k), objID(oldPage), objID(newPage), 0) {
			d.forbid("page entry /%s changed (page content or resources)", k)
		}
	}
	oldAnnots := refSet(oldPage.Key("Annots"))
	annots := newPage.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if oldAnnots[objID(a)] {
			delete(oldAnnots, objID(a))
			continue
		}
		d.classifyAnnotation(a)
	}
	for id := range oldAnnots {
		d.forbid("annotation object %d removed from a page", id)
	}
}

func (d *diff) classifyAnnotation(a pdf.Value) {
	switch {
	case isSignatureField(a):
		d.allow("signature appearance added")
	case a.Key("Subtype").Name() == "Stamp" && a.Key("EdmsStamp").Name() == issueStampMark:
		text := a.Key("Contents").Text()
		d.stamps = appendNew(d.stamps, text)
		d.allow("number/date of issue stamped: %s", text)
	default:
		d.forbid("a %s annotation was added to a page", a.Key("Subtype").Name())
	}
}

// isSignatureField reports whether v is a signature field or a widget of one.
func isSignatureField(v pdf.Value) bool {
	return v.Key("FT").Name() == "Sig" || v.Key("Parent").Key("FT").Name() == "Sig"
}

func refSet(arr pdf.Value) map[uint32]bool {
	set := map[uint32]bool{}
	for i := 0; i < arr.Len(); i++ {
		set[objID(arr.Index(i))] = true
	}
	return set
}

func unionKeys(a, b pdf.Value) []string {
	seen := map[string]bool{}
	var keys []string
	for _, k := range append(a.Keys(), b.Keys()...) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// sameValue compares two values semantically: references to the same object are
// equal, and a reference equals an inline copy of what it points to (pdfsign
// rewrites a page with its /Resources inlined). Streams must be the same object,
// which the object-level comparison has checked to be unchanged.
func sameValue(a, b pdf.Value, holderA, holderB uint32, depth int) bool {
	refA, refB := objID(a) != holderA && objID(a) != 0, objID(b) != holderB && objID(b) != 0
	if refA && refB && objID(a) == objID(b) {
		return true
	}
	if depth > 16 || a.Kind() != b.Kind() {
		return false
	}
	holderA, holderB = objID(a), objID(b)
	switch a.Kind() {
	case pdf.Dict:
		for _, k := range unionKeys(a, b) {
			if !sameValue(a.Key(k), b.Key(k), holderA, holderB, depth+1) {
				return false
			}
		}
		return true
	case pdf.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i), holderA, holderB, depth+1) {
				return false
			}
		}
		return true
	case pdf.Stream:
		return false // different stream objects
	}
	var sa, sb bytes.Buffer
	writeValue(&sa, a, holderA)
	writeValue(&sb, b, holderB)
	return sa.String() == sb.String()
}

func describe(v pdf.Value) string {
	for _, k := range []string{"Type", "Subtype"} {
		if n := v.Key(k).Name(); n != "" {
			return n
		}
	}
	if v.Kind() == pdf.Stream {
		return "stream"
	}
	return "object"
}
