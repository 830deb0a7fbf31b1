package signing

import (
	"edms/internal/signing/pdfread"

	"github.com/digitorus/pdf"
)

// sigField is a signature field of the AcroForm with its first widget and its value.
type sigField struct {
	name   string
	value  pdf.Value // the signature dictionary (/V), null for an empty field
	widget pdf.Value
}

// signatureFields lists the signature fields reachable from the AcroForm /Fields
// array, descending into /Kids; this is how signatures are found, never by scanning
// the file for /Filter.
func signatureFields(root pdf.Value) []sigField {
	var out []sigField
	fields := root.Key("AcroForm").Key("Fields")
	for i := 0; i < fields.Len(); i++ {
		out = collectSigFields(fields.Index(i), "", "", out, 0)
	}
	return out
}

func collectSigFields(f pdf.Value, parentName, inheritedFT string, out []sigField, depth int) []sigField {
	if depth > 32 || f.Kind() != pdf.Dict {
		return out
	}
	name := parentName
	if t := f.Key("T").Text(); t != "" {
		if name != "" {
			name += "."
		}
		name += t
	}
	ft := inheritedFT
	if f.Key("FT").Name() != "" {
		ft = f.Key("FT").Name()
	}
	kids := f.Key("Kids")
	if ft == "Sig" && (kids.Len() == 0 || f.Key("T").Text() != "") {
		widget := f
		if kids.Len() > 0 {
			widget = kids.Index(0)
		}
		out = append(out, sigField{name: name, value: f.Key("V"), widget: widget})
		return out
	}
	for i := 0; i < kids.Len(); i++ {
		out = collectSigFields(kids.Index(i), name, ft, out, depth+1)
	}
	return out
}

// widgetRect returns the /Rect of a widget as a normalised Rect.
func widgetRect(w pdf.Value) Rect {
	r := w.Key("Rect")
	if r.Len() != 4 {
		return Rect{}
	}
	x1, y1, x2, y2 := r.Index(0).Float64(), r.Index(1).Float64(), r.Index(2).Float64(), r.Index(3).Float64()
	return Rect{min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)}
}

// widgetPage is the object number of the page a widget sits on (its /P entry).
func widgetPage(w pdf.Value) uint32 {
	return objID(w.Key("P"))
}

// objID is the number of the indirect object that holds v (or contains it).
func objID(v pdf.Value) uint32 {
	ptr := v.GetPtr()
	return ptr.GetID()
}

// signedField is a signature field found by the verifier: its full name, the
// object holding it, its value (the signature dictionary, nil when the field is
// empty) and its widgets.
type signedField struct {
	name    string
	object  uint32
	value   pdfread.Object // as written in the field: usually a reference
	widgets []pdfread.Object
}

// signatureFields lists the signature fields of a revision's AcroForm, descending into
// /Kids with a bound on depth and a guard against cycles.
func (v view) signatureFields() []signedField {
	var out []signedField
	seen := map[uint32]bool{}
	for _, f := range v.array(v.dict(v.root()["AcroForm"])["Fields"]) {
		out = v.collectFields(f, "", "", out, seen, 0)
	}
	return out
}

func (v view) collectFields(ref pdfread.Object, parentName, inheritedFT string, out []signedField, seen map[uint32]bool, depth int) []signedField {
	f := v.dict(ref)
	if depth > 32 || f == nil || (refNum(ref) != 0 && seen[refNum(ref)]) {
		return out
	}
	seen[refNum(ref)] = true
	name := parentName
	if t := v.text(f["T"]); t != "" {
		if name != "" {
			name += "."
		}
		name += t
	}
	ft := inheritedFT
	if n := v.name(f["FT"]); n != "" {
		ft = n
	}
	kids := v.array(f["Kids"])
	if ft == "Sig" && (len(kids) == 0 || f["T"] != nil) {
		field := signedField{name: name, object: refNum(ref), value: f["V"], widgets: kids}
		if len(kids) == 0 {
			field.widgets = []pdfread.Object{ref}
		}
		return append(out, field)
	}
	for _, kid := range kids {
		out = v.collectFields(kid, name, ft, out, seen, depth+1)
	}
	return out
}
