package axis

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// FakeConfig describes the axis a Fake stands in for: the systems allowed to call
// it, each with its secret and the agencies it may send for (and receives for).
type FakeConfig struct {
	Systems []FakeSystem
}

// FakeSystem is one system registered at the axis.
type FakeSystem struct {
	ID       string // systemid
	Secret   string
	Agencies []FakeAgency
}

// FakeAgency is one agency of the axis's directory.
type FakeAgency struct {
	OrganID       string
	Name          string
	ParentOrganID string
	Mail          string
}

// Fault is what a Fake does to every request, for tests of failures.
type Fault int32

// Faults.
const (
	FaultNone  Fault = iota // answer normally
	FaultError              // answer HTTP 500 with no body
	FaultDrop               // close the connection without answering
)

// Fake is a stand-in for the axis, faithful to axis.md §8: it authenticates every
// request over the literal signed header, checks what sendEdoc is given (hash,
// edXML, message type, sender, recipients, duplicates), and keeps one item per
// (package, recipient), with its own 24-hex docId, in the recipient system's edoc
// or status queue until that system acknowledges it done. It keeps everything in
// memory; start it with httptest.NewServer.
type Fake struct {
	systems  map[string]*FakeSystem
	owner    map[string]string // OrganId → systemid
	agencies []FakeAgency
	requests atomic.Int64
	fault    atomic.Int32

	mu        sync.Mutex
	items     []*fakeItem          // in arrival order
	byDocID   map[string]*fakeItem // receiver docId → item
	documents map[string]bool      // From/OrganId, DocumentId and recipient of every new document accepted
}

// NewFake builds a Fake from its configuration.
func NewFake(cfg FakeConfig) *Fake {
	f := &Fake{
		systems:   map[string]*FakeSystem{},
		owner:     map[string]string{},
		byDocID:   map[string]*fakeItem{},
		documents: map[string]bool{},
	}
	for i := range cfg.Systems {
		s := &cfg.Systems[i]
		f.systems[s.ID] = s
		for _, a := range s.Agencies {
			f.owner[a.OrganID] = s.ID
			f.agencies = append(f.agencies, a)
		}
	}
	return f
}

// Requests counts the requests the Fake has received, faults included.
func (f *Fake) Requests() int { return int(f.requests.Load()) }

// SetFault makes every following request fail as fault says (FaultNone: normal).
func (f *Fake) SetFault(fault Fault) { f.fault.Store(int32(fault)) }

// call is one authenticated request.
type call struct {
	system *FakeSystem
	params []param // as signed, in order, names without the prefix
	req    *http.Request
}

// get is the value of the first of names present: exact spellings first, then
// without regard to case (docId and docid are the same parameter).
func (c call) get(names ...string) string {
	for _, name := range names {
		for _, p := range c.params {
			if p.name == name {
				return p.value
			}
		}
	}
	for _, name := range names {
		for _, p := range c.params {
			if strings.EqualFold(p.name, name) {
				return p.value
			}
		}
	}
	return ""
}

// answer is a reply of the Fake: always status, ErrorCode and ErrorDesc.
type answer map[string]any

func ok(fields answer) answer {
	a := answer{"status": "OK", "ErrorCode": CodeOK, "ErrorDesc": "Thành công"}
	for k, v := range fields {
		a[k] = v
	}
	return a
}

func fail(code, desc string) answer {
	return answer{"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc}
}

func (f *Fake) operation(name string) func(call) answer {
	switch name {
	case opSendEdoc:
		return f.sendEdoc
	case opReceivedEdocList:
		return f.receivedList
	case opGetEdoc:
		return f.getEdoc
	case opUpdateStatus:
		return f.updateStatus
	case opAgenciesList:
		return f.agenciesList
	case opSentEdocList:
		return f.sentList
	}
	return nil
}

// ServeHTTP answers one operation, named by the last segment of the path.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	switch Fault(f.fault.Load()) {
	case FaultError:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case FaultDrop:
		dropConnection(w)
		return
	}
	op := f.operation(path.Base(r.URL.Path))
	switch {
	case op == nil:
		respond(w, http.StatusNotFound, fail(CodeNotFound, "Không có dịch vụ "+path.Base(r.URL.Path)))
	case r.Method != http.MethodPost:
		respond(w, http.StatusMethodNotAllowed, fail(CodeInvalidRequest, "Dịch vụ chỉ nhận POST"))
	default:
		c, refused := f.authenticate(r)
		if refused != nil {
			respond(w, http.StatusOK, refused)
			return
		}
		respond(w, http.StatusOK, op(c))
	}
}

func respond(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// authenticate checks the signature headers: present, a known systemid, the HMAC
// over the literal signed JSON, and every parameter header that is present equal
// to its signed value. Parameters are then read from the signed JSON only.
func (f *Fake) authenticate(r *http.Request) (call, answer) {
	signed, mac := r.Header.Get(headerSign), r.Header.Get(headerHash)
	if signed == "" || mac == "" {
		return call{}, fail(CodeUnauthenticated, "Thiếu thông tin xác thực (sign-header, hash-header)")
	}
	params, err := parseSigned(signed)
	if err != nil {
		return call{}, fail(CodeUnauthenticated, "Thông tin xác thực không đọc được: "+err.Error())
	}
	c := call{params: params, req: r}
	system := f.systems[c.get("systemid")]
	if system == nil {
		return call{}, fail(CodeUnauthenticated, "Hệ thống "+c.get("systemid")+" chưa được đăng ký")
	}
	if !hmac.Equal([]byte(strings.ToLower(mac)), []byte(Sign(system.Secret, signed))) {
		return call{}, fail(CodeUnauthenticated, "Chữ ký thông tin xác thực không đúng")
	}
	for _, p := range params {
		if v, present := r.Header[http.CanonicalHeaderKey(HeaderPrefix+p.name)]; present && !slices.Contains(v, p.value) {
			return call{}, fail(CodeUnauthenticated, "Tham số "+p.name+" khác với tham số đã ký")
		}
	}
	c.system = system
	return c, nil
}

var errNotObject = errors.New("not a JSON object")

// parseSigned reads the signed JSON object keeping the order and every key, even
// repeated ones, without the XroadVnpt- prefix (any case).
func parseSigned(signed string) ([]param, error) {
	dec := json.NewDecoder(strings.NewReader(signed))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	var params []param
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value Text
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		name := key.(string)
		if len(name) >= len(HeaderPrefix) && strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix) {
			name = name[len(HeaderPrefix):]
		}
		params = append(params, param{name, string(value)})
	}
	return params, nil
}
