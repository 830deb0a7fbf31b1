package liaison

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// pump streams the payload of the current attachment to the digest and the sink.
func (sr *streamReader) pump(f *frame) error {
	if sr.currentPayload {
		return sr.fail(RuleStructure, errors.New("an Attachment has more than one ContentTransferEncoded"))
	}
	sr.currentPayload = true
	if sr.dec.InputOffset() != sr.src.xmlBytes {
		return sr.fail(RuleXML, errors.New("internal: XML decoder read ahead of the payload"))
	}
	sr.current.AttachmentMeta = attachmentMeta(sr.currentEl)
	w, err := sr.opts.Sink.Create(sr.current.AttachmentMeta)
	if err != nil {
		return sr.fail(RuleStorage, err)
	}
	out := &measuringWriter{w: w, hash: sha256.New(), limit: sr.opts.Limits.MaxAttachmentBytes}
	if !sr.src.selfClosed() { // <ContentTransferEncoded/> is an empty attachment
		err = pumpParallel(sr.src, sr.digBuf, out)
	}
	if cerr := w.Close(); err == nil && cerr != nil {
		return sr.fail(RuleStorage, cerr)
	}
	if err != nil {
		return sr.fail(payloadRule(err), err)
	}
	sr.current.Size = out.n
	copy(sr.current.SHA256[:], out.hash.Sum(nil))
	sr.current.head = out.head
	f.payload = true
	return nil
}

// pumpParallel moves one payload: digesting its text and storing its decoded bytes
// each run on their own goroutine while this one scans and decodes.
func pumpParallel(src *source, digest, store io.Writer) error {
	asyncDigest := newAsyncWriter(digest, 256<<10, 4)
	asyncStore := newAsyncWriter(store, 192<<10, 4)
	decoder := newBase64Stream(asyncStore)
	err := src.pumpPayload(asyncDigest, decoder)
	if err == nil {
		err = decoder.close()
	}
	digestErr, storeErr := asyncDigest.Close(), asyncStore.Close()
	return cmp.Or(err, storeErr, digestErr)
}

func payloadRule(err error) string {
	var limit *limitError
	if errors.Is(err, errSourceLimit) || errors.As(err, &limit) {
		return RuleLimit
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return RuleXML
	}
	return RuleBase64
}

// finishAttachment records the metadata of an Attachment once its element closes.
func (sr *streamReader) finishAttachment(f *frame) error {
	if !sr.currentPayload {
		return sr.fail(RuleMandatory, errors.New("Attachment has no ContentTransferEncoded"))
	}
	sr.current.AttachmentMeta = attachmentMeta(f.el)
	sr.attachments = append(sr.attachments, *sr.current)
	sr.current, sr.currentEl, sr.currentPayload = nil, nil, false
	return nil
}

// attachmentMeta reads the metadata children of an Attachment or Reference element.
func attachmentMeta(el *etree.Element) AttachmentMeta {
	return AttachmentMeta{
		ContentID:   strings.TrimPrefix(strings.TrimSpace(cmp.Or(childText(el, "ContentId"), el.SelectAttrValue("href", ""))), "cid:"),
		Name:        childText(el, "AttachmentName"),
		Description: childText(el, "Description"),
		ContentType: strings.TrimSpace(childText(el, "ContentType")),
	}
}

// measuringWriter counts, hashes (when hash is set) and keeps the first bytes of
// what it forwards, refusing more than limit bytes (when limit is positive).
type measuringWriter struct {
	w     io.Writer
	hash  hash.Hash
	n     int64
	limit int64
	head  []byte
}

type limitError struct{ limit int64 }

func (e *limitError) Error() string { return fmt.Sprintf("attachment larger than %d bytes", e.limit) }

func (m *measuringWriter) Write(p []byte) (int, error) {
	if m.limit > 0 && m.n+int64(len(p)) > m.limit {
		return 0, &limitError{m.limit}
	}
	if len(m.head) < sniffLen {
		m.head = append(m.head, p[:min(len(p), sniffLen-len(m.head))]...)
	}
	if m.hash != nil {
		m.hash.Write(p)
	}
	m.n += int64(len(p))
	return m.w.Write(p)
}
