package signing

import (
	"bytes"
	"fmt"
	"sort"

	"edms/internal/signing/pdfread"
)

// checkLaterChanges compares the revision the signature covers with the final
// document, object by object, and judges every difference by the change policy
// (policy.go). certP is the signature's DocMDP permission, 0 for an approval
// signature.
func (v *verification) checkLaterChanges(signed view, signedEnd int64, certP int64) {
	r := &v.report
	if r.CoversWholeDocument {
		return
	}
	if revisionIndex(v.revisions, v.doc.size) <= r.Revision {
		r.ModifiedAfterSigning = true
		v.problem("%d bytes follow the signed revision without forming a new revision", v.doc.size-signedEnd)
		return
	}
	d := newDiff(signed, v.final)
	d.run()
	r.Changes = append(r.Changes, applyDocMDP(d.changes, certP)...)
	v.stamps = d.stamps
	for _, c := range r.Changes {
		if c.Allowed {
			r.LaterChanges = appendNew(r.LaterChanges, c.String())
			continue
		}
		r.ModifiedAfterSigning = true
		r.Problems = append(r.Problems, "modified after signing: "+c.String())
	}
}

// roleKind is what an object of the signed revision is used for.
type roleKind int

const (
	roleNone roleKind = iota
	roleCatalog
	roleAcroForm
	roleFieldList
	roleInfo
	roleMetadata
	roleExtensions
	rolePerms
	roleDSS
	rolePage
	roleAnnotList
	rolePageContent
	roleEmptySigField
	roleSignedField
	roleAnnotation
	roleAppearance
	roleContainer // object and cross-reference streams: their objects are compared one by one
)

// diff classifies the differences between the signed revision and the final one.
type diff struct {
	old, final  view
	roles       map[uint32]roleKind
	vetted      map[uint32]bool // new fields and annotations already judged
	finalFields map[uint32]bool // signature fields of the final AcroForm, by object
	changes     []Change
	stamps      []string
	eq          *equality
}

func newDiff(old, final view) *diff {
	return &diff{old: old, final: final, roles: map[uint32]roleKind{}, vetted: map[uint32]bool{}, eq: newEquality(old, final)}
}

func (d *diff) add(num uint32, r rule, format string, args ...any) {
	d.changes = append(d.changes, Change{Object: num, Rule: r.id, Allowed: r.allowed, Detail: fmt.Sprintf(format, args...)})
}

func (d *diff) run() {
	if d.final.rd.Repaired() {
		d.add(0, ruleDamagedXref, "the final document's cross-reference data is damaged and was rebuilt by scanning: viewers may each show something else")
	}
	d.assignRoles()
	d.compareTrailers()
	for _, num := range unionNumbers(d.old.rd, d.final.rd) {
		oe, inOld := d.old.rd.Entry(num)
		fe, inFinal := d.final.rd.Entry(num)
		if inOld && inFinal && oe == fe && oe.Type == pdfread.InUse {
			continue // same bytes
		}
		oldV, newV := d.old.rd.Object(num), d.final.rd.Object(num)
		switch {
		case oldV == nil || d.roles[num] == roleContainer:
			// a new object is judged through the references that reach it
		case newV == nil:
			d.add(num, ruleFreed, "object %d (%s) was freed or deleted: viewers now treat it as null", num, d.old.describe(oldV))
		case d.eq.same(oldV, newV):
			if oe != fe {
				d.add(num, ruleIdentical, "object %d (%s) written again unchanged", num, d.old.describe(oldV))
			}
		default:
			d.classify(num, oldV, newV)
		}
	}
}

// compareTrailers judges a catalog or an information dictionary that the final
// trailer takes from another object than the signed one did: the new catalog is
// compared with the old one entry by entry.
func (d *diff) compareTrailers() {
	oldT, newT := d.old.rd.Trailer(), d.final.rd.Trailer()
	if oldRoot, newRoot := refNum(oldT["Root"]), refNum(newT["Root"]); oldRoot != newRoot || oldRoot == 0 {
		d.compareCatalog(newRoot, d.old.root(), d.final.root())
	}
	if !d.eq.same(oldT["Info"], newT["Info"]) {
		d.add(refNum(newT["Info"]), ruleInfo, "document information dictionary replaced")
	}
}

func unionNumbers(a, b *pdfread.Reader) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for _, list := range [][]uint32{a.Numbers(), b.Numbers()} {
		for _, n := range list {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// assignRoles records what the signed revision's objects are for.
func (d *diff) assignRoles() {
	o := d.old
	root := o.root()
	trailer := o.rd.Trailer()
	d.roles[refNum(trailer["Root"])] = roleCatalog
	d.assignBookkeepingRoles(root, trailer)
	form := o.dict(root["AcroForm"])
	d.setRole(root["AcroForm"], roleAcroForm)
	d.setRole(form["Fields"], roleFieldList)
	for _, page := range o.pages() {
		d.roles[page] = rolePage
		pageDict := o.dict(o.rd.Object(page))
		contents := pageDict["Contents"]
		d.setRole(contents, rolePageContent)
		for _, c := range o.array(contents) {
			d.setRole(c, rolePageContent)
		}
		annots := pageDict["Annots"]
		d.setRole(annots, roleAnnotList)
		for _, a := range o.array(annots) {
			d.setRole(a, roleAnnotation)
			for _, ap := range o.appearances(o.dict(a)) {
				d.setRole(ap, roleAppearance)
			}
		}
	}
	for _, f := range o.signatureFields() {
		role := roleSignedField
		if o.resolve(f.value) == nil {
			role = roleEmptySigField
		}
		d.roles[f.object] = role
		for _, w := range f.widgets {
			d.setRole(w, role)
		}
	}
	used := map[uint32]bool{}
	for _, o := range []pdfread.Object{trailer["Root"], trailer["Info"]} {
		for _, n := range d.old.reachable(o) {
			used[n] = true
		}
	}
	for _, num := range o.rd.Numbers() {
		st, ok := o.rd.Object(num).(*pdfread.Stream)
		if ok && !used[num] && (st.Dict["Type"] == pdfread.Name("ObjStm") || st.Dict["Type"] == pdfread.Name("XRef")) {
			d.roles[num] = roleContainer // never referenced: only a holder of other objects
		}
	}
	delete(d.roles, 0)
}

// bookkeeping are the catalog entries whose objects may change freely, as long
// as nothing else in the document uses those objects.
var bookkeeping = map[pdfread.Name]roleKind{"Metadata": roleMetadata, "Extensions": roleExtensions, "Perms": rolePerms, "DSS": roleDSS}

// assignBookkeepingRoles gives the information dictionary and the objects of
// the bookkeeping entries their roles, except objects the rest of the document
// also reaches: a document prepared with /Info or /DSS pointing at a font or a
// content stream must not turn a later change to them into bookkeeping.
func (d *diff) assignBookkeepingRoles(root, trailer pdfread.Dict) {
	rest := pdfread.Dict{}
	for k, v := range root {
		if _, ok := bookkeeping[k]; !ok {
			rest[k] = v
		}
	}
	used := map[uint32]bool{}
	for _, n := range d.old.reachable(rest) {
		used[n] = true
	}
	assign := func(o pdfread.Object, role roleKind) {
		for _, n := range d.old.reachable(o) {
			if !used[n] {
				d.roles[n] = role
			}
		}
	}
	assign(trailer["Info"], roleInfo)
	for key, role := range bookkeeping {
		assign(root[key], role)
	}
}

func (d *diff) setRole(o pdfread.Object, role roleKind) {
	if n := refNum(o); n != 0 {
		d.roles[n] = role
	}
}

// classify judges a changed object by its role in the signed revision.
func (d *diff) classify(num uint32, oldV, newV pdfread.Object) {
	oldD, newD := d.old.dict(oldV), d.final.dict(newV)
	switch d.roles[num] {
	case roleCatalog:
		d.compareCatalog(num, oldD, newD)
	case roleAcroForm:
		d.compareAcroForm(num, oldD, newD)
	case roleFieldList:
		d.compareFieldList(num, d.old.array(oldV), d.final.array(newV))
	case roleInfo:
		d.add(num, ruleInfo, "document information dictionary updated")
	case roleMetadata:
		d.add(num, ruleMetadata, "XMP metadata stream updated")
	case roleExtensions:
		d.add(num, ruleExtensions, "/Extensions updated")
	case rolePerms:
		d.add(num, rulePerms, "/Perms updated")
	case roleDSS:
		d.add(num, ruleDSS, "validation data updated")
	case rolePage:
		d.comparePage(num, oldD, newD)
	case roleAnnotList:
		d.compareAnnots(num, d.old.array(oldV), d.final.array(newV))
	case roleEmptySigField:
		d.compareSignedEmptyField(num, oldD, newD)
	case roleAnnotation, roleSignedField:
		d.add(num, ruleAnnotation, "existing annotation %d (%s) was changed", num, d.old.describe(oldV))
	case rolePageContent:
		d.add(num, rulePageContent, "page content stream %d was changed", num)
	case roleAppearance:
		d.add(num, ruleObjectChanged, "appearance stream %d was rewritten: an existing annotation now shows something else", num)
	default:
		d.add(num, ruleObjectChanged, "object %d (%s) was changed", num, d.old.describe(oldV))
	}
}

// compareCatalog allows the catalog to change in its AcroForm (judged field by
// field), /DSS, /Metadata, /Extensions, /Version and /Perms.
func (d *diff) compareCatalog(num uint32, oldRoot, newRoot pdfread.Dict) {
	for _, k := range unionKeys(oldRoot, newRoot) {
		if d.eq.same(oldRoot[k], newRoot[k]) {
			continue
		}
		switch k {
		case "AcroForm":
			d.compareAcroForm(num, d.old.dict(oldRoot[k]), d.final.dict(newRoot[k]))
		case "DSS":
			d.add(num, ruleDSS, "catalog /DSS added or replaced")
		case "Metadata":
			d.add(num, ruleMetadata, "catalog /Metadata replaced")
		case "Extensions", "Version":
			d.add(num, ruleExtensions, "catalog /%s updated", k)
		case "Perms":
			d.add(num, rulePerms, "catalog /Perms updated")
		default:
			d.add(num, ruleCatalog, "catalog entry /%s changed", k)
		}
	}
}

// compareAcroForm allows /Fields to grow by signature fields and /SigFlags to change.
func (d *diff) compareAcroForm(num uint32, oldForm, newForm pdfread.Dict) {
	for _, k := range unionKeys(oldForm, newForm) {
		if d.eq.same(oldForm[k], newForm[k]) {
			continue
		}
		switch k {
		case "Fields":
			d.compareFieldList(num, d.old.array(oldForm[k]), d.final.array(newForm[k]))
		case "SigFlags":
			d.add(num, ruleAcroForm, "/SigFlags set to %d", d.final.integer(newForm[k]))
		case "DR":
			d.compareDefaultResources(num, d.old.dict(oldForm[k]), d.final.dict(newForm[k]))
		default:
			d.add(num, ruleFormField, "AcroForm entry /%s changed", k)
		}
	}
}

// compareDefaultResources allows the AcroForm's default resources to be dropped
// (pdfsign does, countersigning a file that had them) or to grow; a resource
// that existed and now means something else could change how viewers draw
// form fields, and is refused.
func (d *diff) compareDefaultResources(num uint32, oldDR, newDR pdfread.Dict) {
	if newDR == nil {
		d.add(num, ruleAcroForm, "/AcroForm /DR removed")
		return
	}
	for category, oldSub := range oldDR {
		newSub := d.final.dict(newDR[category])
		for name, res := range d.old.dict(oldSub) {
			if !d.eq.same(res, newSub[name]) {
				d.add(num, ruleFormField, "/AcroForm /DR /%s /%s changed", category, name)
				return
			}
		}
	}
	d.add(num, ruleAcroForm, "/AcroForm /DR grown")
}

// compareFieldList requires every old field to remain; new ones are judged.
func (d *diff) compareFieldList(num uint32, oldFields, newFields pdfread.Array) {
	d.compareRefList(num, oldFields, newFields, d.newField, ruleFormField, "form field object %d removed from the AcroForm")
}

// compareRefList requires every reference of the old array to remain in the
// new one (removed ones are refused by rule) and passes the others to judgeNew.
func (d *diff) compareRefList(num uint32, oldList, newList pdfread.Array, judgeNew func(pdfread.Object), removed rule, removedFormat string) {
	remaining := map[uint32]bool{}
	for _, o := range oldList {
		remaining[refNum(o)] = true
	}
	for _, o := range newList {
		if n := refNum(o); n != 0 && remaining[n] {
			delete(remaining, n)
			continue
		}
		judgeNew(o)
	}
	for id := range remaining {
		d.add(num, removed, removedFormat, id)
	}
}

// newField judges a field added after the signature: only signature fields, and
// an unsigned one only without a visible appearance.
func (d *diff) newField(ref pdfread.Object) {
	num := refNum(ref)
	if d.vetted[num] && num != 0 {
		return
	}
	d.vetted[num] = true
	f := d.final.dict(ref)
	name := d.final.text(f["T"])
	if d.final.fieldType(f) != "Sig" {
		d.add(num, ruleFormField, "form field %q (%s) added", name, d.final.fieldType(f))
		return
	}
	widgets := d.final.array(f["Kids"])
	if len(widgets) == 0 {
		widgets = pdfread.Array{ref}
	}
	value := d.final.dict(f["V"])
	if n := refNum(f["V"]); n != 0 && d.old.rd.Object(n) != nil {
		d.add(num, ruleFieldNotInSigned, "new field %q reuses the value %d of an earlier signature", name, n)
		return
	}
	ok := true
	for _, w := range widgets {
		d.vetted[refNum(w)] = true
		ok = d.checkNoActions(refNum(w), name, d.final.dict(w)) && ok
		if value == nil {
			ok = d.checkInvisible(refNum(w), name, d.final.dict(w)) && ok
		} else {
			ok = d.checkAppearanceInside(refNum(w), name, d.final.dict(w)) && ok
		}
	}
	if value != nil && !d.inFinalForm(num) {
		d.add(num, ruleFormField, "signature field %q is shown on a page but is not in the AcroForm, so its signature is never verified", name)
		return
	}
	switch {
	case !ok:
	case value == nil:
		d.add(num, ruleNewSigField, "empty signature field %q added, without a visible appearance", name)
	case d.final.name(value["Type"]) == "DocTimeStamp" || d.final.name(value["SubFilter"]) == "ETSI.RFC3161":
		d.add(num, ruleDocTimestamp, "document timestamp field %q added", name)
	default:
		d.add(num, ruleNewSigField, "signature field %q added", name)
	}
}

// inFinalForm reports whether field num is one of the final AcroForm's
// signature fields, the ones Verify checks.
func (d *diff) inFinalForm(num uint32) bool {
	if d.finalFields == nil {
		d.finalFields = map[uint32]bool{}
		for _, f := range d.final.signatureFields() {
			d.finalFields[f.object] = true
		}
	}
	return d.finalFields[num]
}

// compareSignedEmptyField allows an empty signature field (or its widget) to
// receive its value and a new appearance that stays inside its rectangle.
func (d *diff) compareSignedEmptyField(num uint32, oldF, newF pdfread.Dict) {
	name := d.final.text(newF["T"])
	for _, k := range unionKeys(oldF, newF) {
		if d.eq.same(oldF[k], newF[k]) {
			continue
		}
		switch k {
		case "V":
			if d.final.dict(newF[k]) == nil {
				d.add(num, ruleFormField, "signature field %q received a value that is not a signature", name)
			}
		case "AP":
			d.checkAppearanceInside(num, name, newF)
		default:
			d.add(num, ruleFormField, "signature field %q: entry /%s changed", name, k)
			return
		}
	}
	d.add(num, ruleSignEmptyField, "empty signature field %q signed", name)
}

// comparePage allows a page to change only by new annotations.
func (d *diff) comparePage(num uint32, oldPage, newPage pdfread.Dict) {
	for _, k := range unionKeys(oldPage, newPage) {
		if d.eq.same(oldPage[k], newPage[k]) {
			continue
		}
		if k == "Annots" {
			d.compareAnnots(num, d.old.array(oldPage[k]), d.final.array(newPage[k]))
			continue
		}
		d.add(num, rulePageContent, "page entry /%s changed (page content or resources)", k)
	}
}

// compareAnnots requires every old annotation to remain; new ones are judged.
func (d *diff) compareAnnots(num uint32, oldAnnots, newAnnots pdfread.Array) {
	d.compareRefList(num, oldAnnots, newAnnots, d.newAnnotation, ruleAnnotation, "annotation object %d removed from a page")
}

// newAnnotation judges an annotation added to a page: only a widget of a new
// signature field or of a field that was empty when signed, or the issue stamp.
func (d *diff) newAnnotation(ref pdfread.Object) {
	num := refNum(ref)
	if num != 0 && d.vetted[num] {
		return
	}
	a := d.final.dict(ref)
	subtype := d.final.name(a["Subtype"])
	switch {
	case subtype == "Widget":
		d.newWidget(num, ref, a)
	case subtype == "Stamp" && d.final.name(a["EdmsStamp"]) == issueStampMark:
		d.vetted[num] = true
		text := d.final.text(a["Contents"])
		d.stamps = appendNew(d.stamps, text)
		d.checkAppearanceInside(num, "issue stamp", a)
		d.add(num, ruleIssueStamp, "number/date of issue stamped: %s", text)
	default:
		d.vetted[num] = true
		d.add(num, ruleAnnotation, "a %s annotation was added to a page", subtype)
	}
}

func (d *diff) newWidget(num uint32, ref pdfread.Object, a pdfread.Dict) {
	field := ref
	if a["FT"] == nil {
		field = a["Parent"]
	}
	switch d.roles[refNum(field)] {
	case roleEmptySigField:
		d.vetted[num] = true
		name := d.final.text(d.final.dict(field)["T"])
		ok := d.checkNoActions(num, name, a)
		if d.final.dict(d.final.dict(field)["V"]) == nil {
			ok = d.checkInvisible(num, name, a) && ok
		} else {
			ok = d.checkAppearanceInside(num, name, a) && ok
		}
		if ok {
			d.add(num, ruleSignEmptyField, "widget added to the signature field %q, which was empty when signed", name)
		}
	case roleSignedField:
		d.vetted[num] = true
		d.add(num, ruleAnnotation, "a new widget for the already signed field %q", d.final.text(d.final.dict(field)["T"]))
	default:
		d.newField(field)
	}
}

// checkNoActions refuses a new widget that carries actions (/A, /AA): a
// signature field has no business running JavaScript or opening links.
func (d *diff) checkNoActions(num uint32, name string, w pdfread.Dict) bool {
	for _, k := range []pdfread.Name{"A", "AA"} {
		if w[k] != nil {
			d.add(num, ruleAnnotation, "the widget of %q carries actions (/%s)", name, k)
			return false
		}
	}
	return true
}

// checkInvisible refuses a widget of an unsigned new field that shows anything:
// a non-empty rectangle, not hidden, with appearance content.
func (d *diff) checkInvisible(num uint32, name string, w pdfread.Dict) bool {
	const hidden, noView = 2, 32
	if d.final.rect(w["Rect"]).empty() || d.final.integer(w["F"])&(hidden|noView) != 0 {
		return true
	}
	for _, ap := range d.final.appearances(w) {
		st, ok := d.final.resolve(ap).(*pdfread.Stream)
		if !ok {
			continue
		}
		data, err := d.final.rd.Data(st)
		if err != nil || len(bytes.TrimSpace(data)) > 0 {
			d.add(num, ruleUnsignedVisible, "the unsigned signature field %q has a visible appearance over %v", name, d.final.rect(w["Rect"]))
			return false
		}
	}
	return true
}

// checkAppearanceInside refuses an appearance whose box, after its /Matrix, is
// larger than the widget's rectangle: even a viewer that does not scale it into
// the rectangle (ISO 32000-1 12.5.5) then draws it inside. Drawing outside the
// /BBox is clipped by every viewer.
func (d *diff) checkAppearanceInside(num uint32, name string, w pdfread.Dict) bool {
	rect := d.final.rect(w["Rect"])
	const tolerance = 1.0 // points
	for _, ap := range d.final.appearances(w) {
		st, ok := d.final.resolve(ap).(*pdfread.Stream)
		if !ok {
			continue
		}
		box := transformRect(d.final.rect(st.Dict["BBox"]), d.final.matrix(st.Dict["Matrix"]))
		if box.Width() > rect.Width()+tolerance || box.Height() > rect.Height()+tolerance {
			d.add(num, ruleAppearanceRect, "the appearance of %q (%.0f×%.0f pt) is larger than its rectangle %v", name, box.Width(), box.Height(), rect)
			return false
		}
	}
	return true
}

func unionKeys(a, b pdfread.Dict) []pdfread.Name {
	var keys []pdfread.Name
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
