package axis

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// fakeMaxPackage bounds what the Fake's sendEdoc reads (it keeps packages in memory).
const fakeMaxPackage = 256 << 20

// Item states of the Fake, as the list shows them.
const (
	stateInitial    = "initial"
	stateProcessing = "processing"
	stateDone       = AckDone
	stateFail       = AckFail
)

var stateDescriptions = map[string]string{
	stateInitial:    "Chờ nhận",
	stateProcessing: "Đang xử lý",
	stateDone:       "Đã nhận",
	stateFail:       "Nhận lỗi",
}

// fakeItem is one package for one recipient.
type fakeItem struct {
	docID, senderDocID   string
	system, senderSystem string // the recipient's and the sender's systemid
	messageType          string
	from, to             string
	title, notation      string
	body                 []byte
	state                string
	created, updated     time.Time
}

// sendEdoc accepts a package after the checks of axis.md §8 and queues one item
// per recipient in its system's queue.
func (f *Fake) sendEdoc(c call) answer {
	messageType, pkg, body, refused := readSent(c)
	if refused != nil {
		return refused
	}
	if refused := f.checkSender(c, pkg); refused != nil {
		return refused
	}
	recipients, refused := f.recipients(pkg, c.get("to"))
	if refused != nil {
		return refused
	}
	return f.queue(c.system.ID, messageType, pkg, body, recipients)
}

// readSent reads the file of a sendEdoc and checks it against hash-file and
// messagetype.
func readSent(c call) (string, *liaison.Package, []byte, answer) {
	messageType := strings.ToLower(c.get("messagetype"))
	if messageType != MessageEdoc && messageType != MessageStatus {
		return "", nil, nil, fail(CodeInvalidRequest, "messagetype phải là edoc hoặc status")
	}
	if !strings.EqualFold(c.get("servicetype"), serviceEdoc) {
		return "", nil, nil, fail(CodeInvalidRequest, "servicetype phải là eDoc")
	}
	body, err := packageBody(c.req)
	if err != nil {
		return "", nil, nil, fail(CodeInvalidRequest, "Không đọc được tệp gửi: "+err.Error())
	}
	sum := sha256.Sum256(body)
	if !strings.EqualFold(c.get("hash-file"), HashFile(sum[:])) {
		return "", nil, nil, fail(CodeInvalidPackage, "hash-file không khớp với tệp gửi")
	}
	pkg, err := liaison.Read(bytes.NewReader(body), liaison.Options{})
	if err != nil {
		return "", nil, nil, fail(CodeInvalidPackage, "Gói edXML không hợp lệ: "+err.Error())
	}
	if (pkg.Kind == liaison.KindStatus) != (messageType == MessageStatus) {
		return "", nil, nil, fail(CodeInvalidPackage, "messagetype "+messageType+" không khớp với gói tin ("+pkg.Kind.String()+")")
	}
	return messageType, pkg, body, nil
}

// checkSender refuses a from that is not the package's sender or not an agency
// of the calling system.
func (f *Fake) checkSender(c call, pkg *liaison.Package) answer {
	from := c.get("from")
	if from != wire.Sender(pkg) {
		return fail(CodeInvalidPackage, "from "+from+" khác với From/OrganId của gói tin "+wire.Sender(pkg))
	}
	if f.owner[from] != c.system.ID {
		return fail(CodeForbidden, "Cơ quan "+from+" không thuộc hệ thống "+c.system.ID)
	}
	return nil
}

// packageBody is the file of a sendEdoc: the raw body without one trailing CRLF,
// or the multipart part file_doc.
func packageBody(r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, fakeMaxPackage)
	if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media == "multipart/form-data" {
		return multipartFile(r)
	}
	body, err := io.ReadAll(r.Body)
	return bytes.TrimSuffix(body, []byte("\r\n")), err
}

func multipartFile(r *http.Request) ([]byte, error) {
	parts, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		part, err := parts.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no part file_doc: %w", err)
		}
		if part.FormName() == "file_doc" {
			return io.ReadAll(part)
		}
	}
}

// recipients are the package's recipients (To, or the sender of the document a
// status answers), narrowed to the to parameter when given; each must be known.
func (f *Fake) recipients(pkg *liaison.Package, to string) ([]string, answer) {
	var listed []string
	if pkg.Kind == liaison.KindStatus {
		listed = []string{pkg.Status.ResponseFor.OrganID}
	} else {
		for _, o := range pkg.Header.To {
			listed = append(listed, o.OrganID)
		}
	}
	chosen := listed
	if to != "" {
		if err := json.Unmarshal([]byte(to), &chosen); err != nil {
			return nil, fail(CodeInvalidRequest, "to phải là một mảng JSON mã định danh")
		}
	}
	for _, id := range chosen {
		if !slices.Contains(listed, id) {
			return nil, fail(CodeInvalidPackage, "Nơi nhận "+id+" không có trong gói tin")
		}
		if f.owner[id] == "" {
			return nil, fail(CodeUnknownRecipient, "Không có đơn vị nhận "+id+" trên trục")
		}
	}
	return chosen, nil
}

// queue refuses a new document sent before to one of the recipients (by
// From/OrganId, DocumentId and recipient; revoke, update and replace may repeat
// it) and queues the rest, one item per recipient.
func (f *Fake) queue(sender, messageType string, pkg *liaison.Package, body []byte, recipients []string) answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	var title, notation string
	if pkg.Kind == liaison.KindDocument {
		if pkg.Business == nil || pkg.Business.DocType == liaison.BusinessNew {
			if refused := f.newDocument(pkg.Header, recipients); refused != nil {
				return refused
			}
		}
		title, notation = pkg.Header.Subject, pkg.Header.Code.Notation
	}
	senderDocID, now := newDocID(), time.Now()
	for _, to := range recipients {
		item := &fakeItem{
			docID: newDocID(), senderDocID: senderDocID,
			system: f.owner[to], senderSystem: sender,
			messageType: messageType, from: wire.Sender(pkg), to: to,
			title: title, notation: notation,
			body: body, state: stateInitial, created: now, updated: now,
		}
		f.items = append(f.items, item)
		f.byDocID[item.docID] = item
	}
	return ok(answer{"DocId": senderDocID})
}

// newDocID is a 24-hex id, as the VNPT axis gives.
func newDocID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails
	return hex.EncodeToString(b)
}

// newDocument records a new document for its recipients, or refuses it when one
// of them has it already.
func (f *Fake) newDocument(h *liaison.MessageHeader, recipients []string) answer {
	for _, to := range recipients {
		if f.documents[documentKey(h, to)] {
			return fail(CodeDuplicate, "Văn bản "+h.DocumentID+" đã được gửi đến "+to)
		}
	}
	for _, to := range recipients {
		f.documents[documentKey(h, to)] = true
	}
	return nil
}

func documentKey(h *liaison.MessageHeader, to string) string {
	return h.From.OrganID + "\x00" + h.DocumentID + "\x00" + to
}

// receivedList lists the items of the caller's queue not yet acknowledged done
// (an item acknowledged fail stays listed, with its state).
func (f *Fake) receivedList(c call) answer {
	messageType := strings.ToLower(c.get("messagetype"))
	f.mu.Lock()
	defer f.mu.Unlock()
	data := []answer{}
	for _, it := range f.items {
		if it.system == c.system.ID && it.messageType == messageType && it.state != stateDone {
			data = append(data, answer{
				"docId": it.docID, "serviceType": serviceEdoc, "messageType": it.messageType,
				"from": it.from, "to": it.to, "status": it.state, "status_desc": stateDescriptions[it.state],
				"created_time": fakeTime(it.created), "updated_time": fakeTime(it.updated),
			})
		}
	}
	return ok(answer{"data": data})
}

func fakeTime(t time.Time) string { return t.In(vietnam).Format("02/01/2006 15:04:05") }

// addressed is the caller's item docId, or a FAIL answer.
func (f *Fake) addressed(c call) (*fakeItem, answer) {
	id := c.get("docId", "docid")
	it := f.byDocID[id]
	switch {
	case it == nil:
		return nil, fail(CodeNotFound, "Không có văn bản "+id)
	case it.system != c.system.ID:
		return nil, fail(CodeForbidden, "Văn bản "+id+" không gửi đến hệ thống "+c.system.ID)
	}
	return it, nil
}

// getEdoc answers the package as base64.
func (f *Fake) getEdoc(c call) answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, refused := f.addressed(c)
	if refused != nil {
		return refused
	}
	return ok(answer{"data": base64.StdEncoding.EncodeToString(it.body)})
}

// updateStatus records the acknowledgement; repeating one is accepted.
func (f *Fake) updateStatus(c call) answer {
	status := strings.ToLower(c.get("status"))
	if status != stateDone && status != stateFail && status != stateProcessing {
		return fail(CodeInvalidRequest, "status phải là done, fail hoặc processing")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, refused := f.addressed(c)
	if refused != nil {
		return refused
	}
	it.state, it.updated = status, time.Now()
	return ok(nil)
}

// agenciesList is the directory: every agency of every system.
func (f *Fake) agenciesList(call) answer {
	ids := map[string]string{}
	for i, a := range f.agencies {
		ids[a.OrganID] = strconv.Itoa(i + 1)
	}
	data := []answer{}
	for _, a := range f.agencies {
		data = append(data, answer{"id": ids[a.OrganID], "pid": ids[a.ParentOrganID], "code": a.OrganID,
			"name": a.Name, "mail": a.Mail, "oldCode": ""})
	}
	return ok(answer{"data": data})
}

// sentList shows the caller's packages at each recipient.
func (f *Fake) sentList(c call) answer {
	messageType, docID := strings.ToLower(c.get("messagetype")), c.get("docId", "docid")
	f.mu.Lock()
	defer f.mu.Unlock()
	data := []answer{}
	for _, it := range f.items {
		if it.senderSystem != c.system.ID || it.messageType != messageType || (docID != "" && docID != it.senderDocID) {
			continue
		}
		data = append(data, answer{
			"senderDocId": it.senderDocID, "receiverDocId": it.docID, "fromCode": it.from, "toCode": it.to,
			"title": it.title, "notation": it.notation, "messageType": it.messageType, "serviceType": serviceEdoc,
			"sentTime": fakeTime(it.created), "receivedTime": fakeTime(it.updated),
			"sendStatus": stateDone, "sendStatusDesc": "Đã gửi",
			"receiveStatus": it.state, "receiveStatusDesc": stateDescriptions[it.state],
		})
	}
	return ok(answer{"data": data})
}
