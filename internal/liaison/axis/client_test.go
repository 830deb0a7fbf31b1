package axis

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"edms/internal/liaison"
)

// The worked example of axis.md §2, built from its values.
func TestWorkedExampleSignature(t *testing.T) {
	ax := newTestAxis(t)
	c := testClient(ax.server, "000.00.00.T99", "example-secret")
	c.Now = func() time.Time {
		return time.Date(2025, time.December, 2, 9, 30, 15, 42*int(time.Millisecond), vietnam)
	}
	req, err := c.newRequest(context.Background(), opReceivedEdocList,
		[]param{{"servicetype", "eDoc"}, {"messagetype", "edoc"}}, contentJSON, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		headerSignKey:         "systemid;servicetype;messagetype;timestamp;Content-Type",
		headerSign:            `{"XroadVnpt-systemid":"000.00.00.T99","XroadVnpt-servicetype":"eDoc","XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"02122025T093015+0042","XroadVnpt-Content-Type":"application/json"}`,
		headerHash:            "95885735247219dc4120013ccdca1463797031bc279215accec316f69558c054",
		"XroadVnpt-timestamp": "02122025T093015+0042",
		"Content-Type":        "application/json",
	}
	for name, value := range want {
		if got := req.Header.Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	if items, err := c.ReceivedList(context.Background(), MessageEdoc); err != nil || items == nil {
		t.Fatalf("the fake refuses the worked example: %v %v", items, err)
	}
}

func TestHashFileIsUnpadded(t *testing.T) {
	if got := HashFile([]byte{0x05, 0xab, 0x00, 0x10}); got != "5ab010" {
		t.Fatalf("HashFile = %q, want 5ab010", got)
	}
}

// A package sent by one system is listed for the recipient's system until it is
// acknowledged done; fail and no acknowledgement keep it listed.
func TestSendListGetAcknowledge(t *testing.T) {
	ax := newTestAxis(t)
	ctx := context.Background()
	pkg := document(t, province, "7", liaison.BusinessNew, vpcp)
	sentID := mustSend(t, ax.province, province, MessageEdoc, pkg)
	if len(sentID) != 24 {
		t.Errorf("DocId %q is not 24-hex", sentID)
	}
	ids := listed(t, ax.vpcp, MessageEdoc)
	if len(ids) != 1 || ids[0] == sentID {
		t.Fatalf("recipient lists %v, want one item with its own docId", ids)
	}
	if other := listed(t, ax.vpcp, MessageStatus); len(other) != 0 {
		t.Errorf("status queue lists %v", other)
	}
	if mine := listed(t, ax.province, MessageEdoc); len(mine) != 0 {
		t.Errorf("the sender's own queue lists %v", mine)
	}
	got, err := getEdoc(ax.vpcp, ids[0])
	if err != nil || !bytes.Equal(got, pkg) {
		t.Fatalf("getEdoc: %v, identical bytes %v", err, bytes.Equal(got, pkg))
	}
	if _, err := getEdoc(ax.province, ids[0]); failureCode(t, err) != CodeForbidden {
		t.Errorf("another system fetched the item")
	}
	if again := listed(t, ax.vpcp, MessageEdoc); !slices.Equal(again, ids) {
		t.Errorf("unacknowledged item not listed again: %v", again)
	}
	if err := ax.vpcp.UpdateStatus(ctx, ids[0], AckFail); err != nil {
		t.Fatal(err)
	}
	if again := listed(t, ax.vpcp, MessageEdoc); !slices.Equal(again, ids) {
		t.Errorf("item acknowledged fail not listed: %v", again)
	}
	if err := ax.vpcp.UpdateStatus(ctx, ids[0], AckDone); err != nil {
		t.Fatal(err)
	}
	if again := listed(t, ax.vpcp, MessageEdoc); len(again) != 0 {
		t.Errorf("item acknowledged done still listed: %v", again)
	}
	sent, err := ax.province.SentList(ctx, MessageEdoc, sentID)
	if err != nil || len(sent) != 1 || string(sent[0].ReceiverDocID) != ids[0] || sent[0].ReceiveStatus != AckDone {
		t.Errorf("getSentEdocList = %+v, %v", sent, err)
	}
	if err := ax.vpcp.UpdateStatus(ctx, ids[0], "archived"); failureCode(t, err) != CodeInvalidRequest {
		t.Errorf("status outside done/fail/processing accepted")
	}
	if err := ax.vpcp.UpdateStatus(ctx, "0123456789abcdef01234567", AckDone); failureCode(t, err) != CodeNotFound {
		t.Errorf("unknown docId acknowledged")
	}
}

// Each recipient gets its own item, and statuses travel in their own queue.
func TestRecipientsAndStatusQueue(t *testing.T) {
	ax := newTestAxis(t)
	mustSend(t, ax.province, province, MessageEdoc, document(t, province, "8", liaison.BusinessNew, vpcp, ministry))
	ids := listed(t, ax.vpcp, MessageEdoc)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("two recipients of one system: %v", ids)
	}
	mustSend(t, ax.vpcp, vpcp, MessageStatus, status(t, vpcp, province, "03"))
	if got := listed(t, ax.province, MessageStatus); len(got) != 1 {
		t.Errorf("status queue of the document's sender: %v", got)
	}
	if got := listed(t, ax.province, MessageEdoc); len(got) != 0 {
		t.Errorf("a status in the edoc queue: %v", got)
	}
}

func TestFakeRefusals(t *testing.T) {
	ax := newTestAxis(t)
	pkg := document(t, province, "9", liaison.BusinessNew, vpcp)
	sum := sha256.Sum256(pkg)
	cases := []struct {
		name string
		send func() error
		code string
	}{
		{"wrong secret", func() error {
			_, err := send(testClient(ax.server, provinceSystem, "not-the-secret"), province, MessageEdoc, pkg)
			return err
		}, CodeUnauthenticated},
		{"unknown system", func() error {
			_, err := send(testClient(ax.server, "00.99.W00", provinceSecret), province, MessageEdoc, pkg)
			return err
		}, CodeUnauthenticated},
		{"hash mismatch", func() error {
			_, err := ax.province.SendEdoc(context.Background(), Outgoing{From: province, MessageType: MessageEdoc,
				Body: bytes.NewReader(pkg), Size: int64(len(pkg)), Hash: HashFile(sum[:])[2:]})
			return err
		}, CodeInvalidPackage},
		{"from not of the system", func() error {
			_, err := send(ax.vpcp, province, MessageEdoc, pkg)
			return err
		}, CodeForbidden},
		{"from not the package's sender", func() error {
			_, err := send(ax.province, department, MessageEdoc, pkg)
			return err
		}, CodeInvalidPackage},
		{"messagetype not the package's", func() error {
			_, err := send(ax.province, province, MessageStatus, pkg)
			return err
		}, CodeInvalidPackage},
		{"unknown recipient", func() error {
			_, err := send(ax.province, province, MessageEdoc, document(t, province, "10", liaison.BusinessNew, vpcp, "000.00.00.H99"))
			return err
		}, CodeUnknownRecipient},
		{"malformed edXML", func() error {
			_, err := send(ax.province, province, MessageEdoc, pkg[:len(pkg)/2])
			return err
		}, CodeInvalidPackage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := failureCode(t, c.send()); got != c.code {
				t.Errorf("ErrorCode %s, want %s", got, c.code)
			}
		})
	}
	if got := listed(t, ax.vpcp, MessageEdoc); len(got) != 0 {
		t.Errorf("refused packages were queued: %v", got)
	}
}

// A new document sent twice to one recipient is refused; its update, or the
// document for another recipient, is a new package.
func TestFakeDuplicateDocument(t *testing.T) {
	ax := newTestAxis(t)
	mustSend(t, ax.province, province, MessageEdoc, document(t, province, "11", liaison.BusinessNew, vpcp))
	_, err := send(ax.province, province, MessageEdoc, document(t, province, "11", liaison.BusinessNew, vpcp))
	if got := failureCode(t, err); got != CodeDuplicate {
		t.Errorf("duplicate new document: ErrorCode %s", got)
	}
	mustSend(t, ax.province, province, MessageEdoc, document(t, province, "11", liaison.BusinessUpdate, vpcp))
	mustSend(t, ax.province, province, MessageEdoc, document(t, province, "11", liaison.BusinessNew, ministry))
	if got := listed(t, ax.vpcp, MessageEdoc); len(got) != 3 {
		t.Errorf("recipients list %v, want the document and its update, and the document for another recipient", got)
	}
}

// What other clients send differently: docid in lower case, stale parameters of
// earlier calls, servicetype edoc, a multipart part file_doc, no trailing CRLF,
// headers missing.
func TestFakeTolerance(t *testing.T) {
	ax := newTestAxis(t)
	pkg := document(t, province, "12", liaison.BusinessNew, vpcp)
	sum := sha256.Sum256(pkg)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, _ := mw.CreateFormFile("file_doc", "12.edxml")
	part.Write(pkg)
	mw.Close()
	answer := rawCall(t, ax, provinceSystem, provinceSecret, opSendEdoc, mw.FormDataContentType(), form.Bytes(),
		param{"docId", "stale"}, param{"filePath", "/tmp/x.edxml"}, param{"from", province},
		param{"servicetype", "edoc"}, param{"messagetype", "edoc"}, param{"hash-file", HashFile(sum[:])})
	if answer["ErrorCode"] != "0" || len(answer["DocId"].(string)) != 24 {
		t.Fatalf("multipart sendEdoc: %v", answer)
	}
	ids := listed(t, ax.vpcp, MessageEdoc)
	answer = rawCall(t, ax, vpcpSystem, vpcpSecret, opGetEdoc, contentJSON, []byte("{}"), param{"docid", ids[0]}, param{"status", "done"})
	if answer["ErrorCode"] != "0" || answer["data"] == "" {
		t.Fatalf("getEdoc with docid: %v", answer)
	}
	answer = rawCall(t, ax, vpcpSystem, vpcpSecret, opUpdateStatus, contentJSON, []byte("{}"), param{"docid", ids[0]}, param{"status", "done"})
	if answer["ErrorCode"] != "0" {
		t.Fatalf("updateStatus with docid: %v", answer)
	}
	answer = rawCall(t, ax, provinceSystem, provinceSecret, opSendEdoc, contentOctetStream, document(t, province, "13", liaison.BusinessNew, vpcp),
		param{"from", province}, param{"servicetype", "eDoc"}, param{"messagetype", "edoc"}, param{"hash-file", HashFile(sum[:])})
	if answer["ErrorCode"] != CodeInvalidPackage {
		t.Fatalf("a hash of another file: %v", answer)
	}
	resp, err := http.Post(ax.server.URL+"/"+opAgenciesList, contentJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var unsigned map[string]any
	if json.NewDecoder(resp.Body).Decode(&unsigned); unsigned["status"] != "FAIL" || unsigned["ErrorCode"] != CodeUnauthenticated {
		t.Fatalf("request without signature headers: %v", unsigned)
	}
}

// A parameter header that disagrees with the signed JSON is refused.
func TestFakeRefusesTamperedHeader(t *testing.T) {
	ax := newTestAxis(t)
	req, err := ax.vpcp.newRequest(context.Background(), opReceivedEdocList, []param{{"servicetype", "eDoc"}, {"messagetype", "edoc"}}, contentJSON, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("XroadVnpt-systemid", provinceSystem)
	if answer := do(t, req); answer["ErrorCode"] != CodeUnauthenticated {
		t.Fatalf("tampered header: %v", answer)
	}
}

// The directory lists every agency with its parent's id and no nulls.
func TestAgenciesList(t *testing.T) {
	ax := newTestAxis(t)
	agencies, err := ax.province.Agencies(context.Background())
	if err != nil || len(agencies) != 4 {
		t.Fatalf("getAgenciesList = %v, %v", agencies, err)
	}
	if agencies[1].Code != department || agencies[1].Pid != agencies[0].ID || agencies[2].Mail != "vpcp@chinhphu.vn" {
		t.Errorf("directory entries: %+v", agencies)
	}
}

// rawCall signs the given parameters as an SDK whose map kept earlier calls'
// entries would, and returns the decoded answer.
func rawCall(t *testing.T, ax *testAxis, system, secret, op, contentType string, body []byte, params ...param) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ax.server.URL+"/XrdAdapter/adapter/"+op, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	all := append([]param{{"systemid", system}}, params...)
	all = append(all, param{"timestamp", Timestamp(time.Now())}, param{"Content-Type", contentType})
	setSignedHeaders(req.Header, all, secret)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer map[string]any
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	for _, key := range []string{"status", "ErrorCode", "ErrorDesc"} {
		if _, ok := answer[key].(string); !ok {
			t.Errorf("answer without string %s: %s", key, raw)
		}
	}
	if strings.Contains(string(raw), "null") {
		t.Errorf("answer with a null: %s", raw)
	}
	return answer
}
