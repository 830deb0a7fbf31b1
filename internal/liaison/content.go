package liaison

import (
	"cmp"
	"fmt"
)

// standardTypes maps the non-standard spellings of real producers to the standard type.
var standardTypes = map[string]string{
	"application/doc":              "application/msword",
	"application/xls":              "application/vnd.ms-excel",
	"application/docx":             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/xlsx":             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/x-zip-compressed": "application/zip",
	"image/jpg":                    "image/jpeg",
	"text/rtf":                     "application/rtf",
}

func standardType(t string) string { return cmp.Or(standardTypes[t], t) }

// contentVerdict is what the reader decided about one attachment's bytes.
type contentVerdict struct {
	trusted   string   // the type the bytes match, or the best available
	warnings  []string // mismatches accepted
	violation string   // why the attachment is refused
}

// trustContent chooses the type of an attachment by its bytes among the types the
// attachment element, the manifest and the name's extension declare: real producers
// disagree (the reference library writes application/zip in the manifest and the
// real type on the attachment; the national axis the opposite). A mismatch is a
// warning; only dangerous or empty content is refused.
func trustContent(att, ref AttachmentMeta, head []byte) contentVerdict {
	got := sniffFamily(head)
	name := cmp.Or(att.Name, ref.Name)
	if problem := dangerous(name, got); problem != "" {
		return contentVerdict{violation: problem}
	}
	if got == familyEmpty {
		return contentVerdict{violation: "the attachment is empty"}
	}
	declared, listed := standardType(mediaType(att.ContentType)), standardType(mediaType(ref.ContentType))
	implied := extensionTypes[extension(name)]
	v := contentVerdict{trusted: matchingType(got, declared, listed, implied)}
	if declared != "" && listed != "" && declared != listed {
		v.warnings = append(v.warnings, fmt.Sprintf("the attachment declares %s but the manifest says %s", att.ContentType, ref.ContentType))
	}
	switch {
	case v.trusted == "":
		var warning string
		v.trusted, warning = typeByBytes(got, declared, listed, implied)
		v.warnings = append(v.warnings, warning)
	case declared != "" && declared != v.trusted && !(isGenericZip(declared) && isGenericZip(v.trusted)):
		v.warnings = append(v.warnings, fmt.Sprintf("declared %s but the bytes are a %s: read as %s", att.ContentType, got, v.trusted))
	}
	if implied != "" && !isGenericZip(v.trusted) && typeFamilies[implied] != typeFamilies[v.trusted] && typeFamilies[v.trusted] != "" {
		v.warnings = append(v.warnings, fmt.Sprintf("name %s implies %s, but the bytes are a %s", quote(name), implied, got))
	}
	return v
}

// typeByBytes is the type trusted when no declared type fits the bytes: theirs
// when they are recognised, else what was declared if it cannot be checked.
func typeByBytes(got, declared, listed, implied string) (trusted, warning string) {
	said := cmp.Or(declared, listed, implied, "no type")
	switch {
	case familyTypes[got] != "":
		return familyTypes[got], fmt.Sprintf("declared %s but the bytes are a %s: read as %s", said, got, familyTypes[got])
	case anyKnown(declared, listed, implied):
		return "application/octet-stream", fmt.Sprintf("declared %s but the bytes are %s: read as application/octet-stream", said, got)
	}
	return cmp.Or(declared, listed, "application/octet-stream"), fmt.Sprintf("content type %s cannot be checked against the bytes", quote(said))
}

// matchingType returns the first candidate whose family is that of the bytes,
// preferring a document format over "a zip archive".
func matchingType(got string, candidates ...string) string {
	generic := ""
	for _, c := range candidates {
		if c == "" || typeFamilies[c] != got {
			continue
		}
		if !isGenericZip(c) {
			return c
		}
		generic = cmp.Or(generic, c)
	}
	return generic
}

func anyKnown(types ...string) bool {
	for _, t := range types {
		if _, ok := typeFamilies[t]; ok {
			return true
		}
	}
	return false
}

// resolveContent sets the trusted type of each attachment read from the package,
// keeping what it declared, and records the mismatches and refusals.
func resolveContent(pkg *Package, found *issues) {
	refs := map[string]AttachmentMeta{}
	for _, ref := range pkg.Manifest {
		refs[ref.ContentID] = ref
	}
	for i := range pkg.Attachments {
		att := &pkg.Attachments[i]
		path := fmt.Sprintf("%s/%s", attachmentPath, stepName("Attachment", i+1))
		v := trustContent(att.AttachmentMeta, refs[att.ContentID], att.head)
		if v.violation != "" {
			found.violate(path+"/ContentTransferEncoded", RuleContentType, "%s", v.violation)
			continue
		}
		for _, w := range v.warnings {
			found.warn(path+"/ContentType", RuleContentType, "%s", w)
		}
		att.Name = cmp.Or(att.Name, refs[att.ContentID].Name)
		att.Declared, att.ContentType = att.ContentType, v.trusted
		att.archive = isGenericZip(v.trusted) && sniffFamily(att.head) == familyZip
	}
}
