package signing

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"edms/internal/signing/pdfread"

	"github.com/digitorus/pdf"
)

// The Document Security Store (/DSS in the catalog, ETSI EN 319 142-1 §5.4) holds
// the certificates, OCSP responses and CRLs a verifier needs later, as streams,
// and a /VRI dictionary saying which of them belong to which signature. PAdES
// B-LT adds it after the signature as an incremental update that only adds these
// streams and replaces the catalog by a copy with the /DSS key.

// Bounds of what is read from a /DSS: streams of each kind, decoded bytes in all.
const (
	maxDSSItems = 1000
	maxDSSBytes = 64 << 20
)

// readDSS collects the revocation data and certificates of the /DSS of the
// revision v, read through pdfread like the rest of the verification.
// Unreadable items (a broken stream, an unknown filter) are skipped: they can
// only leave a status "unknown".
func readDSS(v view) embeddedRevocation {
	dss := v.dict(v.root()["DSS"])
	budget := int64(maxDSSBytes)
	var e embeddedRevocation
	e.ocsps = v.dssStreams(dss["OCSPs"], &budget)
	e.crls = v.dssStreams(dss["CRLs"], &budget)
	for _, der := range v.dssStreams(dss["Certs"], &budget) {
		if c, err := x509.ParseCertificate(der); err == nil {
			e.certs = append(e.certs, c)
		}
	}
	return e
}

// dssStreams decodes the streams of one /DSS array until the budget of decoded
// bytes is spent; a stream larger than what is left ends the reading.
func (v view) dssStreams(arr pdfread.Object, budget *int64) [][]byte {
	var out [][]byte
	for i, item := range v.array(arr) {
		if i >= maxDSSItems || *budget <= 0 {
			break
		}
		st, ok := v.resolve(item).(*pdfread.Stream)
		if !ok {
			continue
		}
		data, err := v.rd.Data(st)
		if err != nil {
			continue
		}
		*budget -= int64(len(data))
		if *budget >= 0 {
			out = append(out, data)
		}
	}
	return out
}

// streamBytes reads the decoded data of a stream if it is at most limit bytes,
// for the writer, which keeps digitorus/pdf. That reader panics on filters it does not know; that is "unreadable" here.
func streamBytes(s pdf.Value, limit int64) (data []byte, ok bool) {
	defer func() {
		if recover() != nil {
			data, ok = nil, false
		}
	}()
	if s.Kind() != pdf.Stream {
		return nil, false
	}
	rc := s.Reader()
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	return data, err == nil && int64(len(data)) <= limit
}

// ltvData is what a B-LT update embeds for one signature.
type ltvData struct {
	vriKey string // uppercase hex SHA-1 of the signature's /Contents bytes
	embeddedRevocation
}

// vriKey names a signature in /VRI: the SHA-1 of its /Contents value.
func vriKey(contents []byte) string {
	sum := sha1.Sum(contents)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// addDSS writes doc followed by an incremental update that adds a /DSS (keeping
// the items of an existing one) with data and its /VRI entry.
func addDSS(doc Document, w io.Writer, data ltvData) (err error) {
	rdr, err := doc.open()
	if err != nil {
		return err
	}
	defer recoverAs(&err, ErrNotPDF)
	u := newUpdate(doc, rdr)
	root := rdr.Trailer().Key("Root")
	old := root.Key("DSS")
	certs := u.dssArray(old.Key("Certs"), derOf(data.certs))
	ocsps := u.dssArray(old.Key("OCSPs"), data.ocsps)
	crls := u.dssArray(old.Key("CRLs"), data.crls)
	var vri bytes.Buffer
	vri.WriteString("<<")
	for _, k := range old.Key("VRI").Keys() {
		if k != data.vriKey {
			fmt.Fprintf(&vri, " /%s ", k)
			writeValue(&vri, old.Key("VRI").Key(k), objID(old))
		}
	}
	fmt.Fprintf(&vri, " /%s << /Cert %s /OCSP %s /CRL %s >> >>", data.vriKey, refArray(certs.added), refArray(ocsps.added), refArray(crls.added))
	dss := u.add(fmt.Appendf(nil, "<< /Type /DSS /Certs %s /OCSPs %s /CRLs %s /VRI %s >>", refArray(certs.all), refArray(ocsps.all), refArray(crls.all), vri.String()))
	var catalog bytes.Buffer
	writeDict(&catalog, root, objID(root), map[string]string{"DSS": fmt.Sprintf("%d 0 R", dss)})
	u.replace(objID(root), catalog.Bytes())
	return u.writeTo(w)
}

func derOf(certs []*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}

// dssItems are the stream objects of one /DSS array: those kept and those added.
type dssItems struct{ all, added []uint32 }

// dssArray keeps the streams of an existing array and adds the new items that
// are not already there.
func (u *update) dssArray(old pdf.Value, items [][]byte) dssItems {
	var out dssItems
	existing := map[string]uint32{}
	for i := 0; i < old.Len(); i++ {
		s := old.Index(i)
		out.all = append(out.all, objID(s))
		if b, ok := streamBytes(s, maxCRL); ok {
			existing[string(b)] = objID(s)
		}
	}
	listed := map[uint32]bool{}
	for _, item := range items {
		if id, ok := existing[string(item)]; ok {
			if !listed[id] {
				listed[id] = true
				out.added = append(out.added, id)
			}
			continue
		}
		id := u.add(streamObject("", item))
		existing[string(item)], listed[id] = id, true
		out.all = append(out.all, id)
		out.added = append(out.added, id)
	}
	return out
}

func refArray(ids []uint32) string {
	var b strings.Builder
	b.WriteString("[")
	for _, id := range ids {
		fmt.Fprintf(&b, " %d 0 R", id)
	}
	b.WriteString(" ]")
	return b.String()
}
