package axis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"edms/internal/liaison/wire"
)

// Operations of the axis, appended to the base URL.
const (
	opSendEdoc               = "sendEdoc"
	opReceivedEdocList       = "getReceivedEdocList"
	opGetEdoc                = "getEdoc"
	opUpdateStatus           = "updateStatus"
	opAgenciesList           = "getAgenciesList"
	opSentEdocList           = "getSentEdocList"
	serviceEdoc              = "eDoc"
	contentJSON              = "application/json"
	contentOctetStream       = "application/octet-stream"
	maxReplyBytes      int64 = 1 << 30 // getEdoc carries a package as base64 inside JSON
)

// Message types: the axis keeps documents and statuses in separate queues.
const (
	MessageEdoc   = "edoc"
	MessageStatus = "status"
)

// Acknowledgements of a received item (updateStatus).
const (
	AckDone = "done"
	AckFail = "fail"
)

// Client calls the axis for one system. Its zero Now is time.Now.
type Client struct {
	BaseURL  string // e.g. http://host:8080/XrdAdapter/adapter
	SystemID string // the system's systemid, e.g. 000.00.00.T99
	Secret   string // the system's secret; it never travels
	HTTP     *http.Client
	Now      func() time.Time
}

// DefaultTimeout bounds one call of a client made by NewClient: packages of tens
// of MB stream through it.
const DefaultTimeout = 10 * time.Minute

// NewClient is a client of the axis at baseURL for one system, with its own HTTP
// client.
func NewClient(baseURL, systemID, secret string) *Client {
	return &Client{BaseURL: baseURL, SystemID: systemID, Secret: secret, HTTP: &http.Client{Timeout: DefaultTimeout}}
}

// Outgoing is a package for sendEdoc. Hash is HashFile of the body's SHA-256,
// computed before the body streams.
type Outgoing struct {
	From        string // the sending agency's OrganId, as in the package
	MessageType string // MessageEdoc or MessageStatus
	To          []string
	Body        io.Reader
	Size        int64 // the body's size; the trailing CRLF is added
	Hash        string
}

// ReceivedItem is one entry of getReceivedEdocList.
type ReceivedItem struct {
	DocID       Text `json:"docId"`
	ServiceType Text `json:"serviceType"`
	MessageType Text `json:"messageType"`
	From        Text `json:"from"`
	To          Text `json:"to"`
	Status      Text `json:"status"`
	StatusDesc  Text `json:"status_desc"`
	CreatedTime Text `json:"created_time"`
	UpdatedTime Text `json:"updated_time"`
}

// SentItem is one entry of getSentEdocList: what became of a package at one
// recipient.
type SentItem struct {
	SenderDocID       Text `json:"senderDocId"`
	ReceiverDocID     Text `json:"receiverDocId"`
	FromCode          Text `json:"fromCode"`
	ToCode            Text `json:"toCode"`
	Title             Text `json:"title"`
	Notation          Text `json:"notation"`
	MessageType       Text `json:"messageType"`
	ServiceType       Text `json:"serviceType"`
	SentTime          Text `json:"sentTime"`
	ReceivedTime      Text `json:"receivedTime"`
	SendStatus        Text `json:"sendStatus"`
	SendStatusDesc    Text `json:"sendStatusDesc"`
	ReceiveStatus     Text `json:"receiveStatus"`
	ReceiveStatusDesc Text `json:"receiveStatusDesc"`
}

// Agency is one entry of getAgenciesList; Pid is the parent's id.
type Agency struct {
	ID      Text `json:"id"`
	Pid     Text `json:"pid"`
	Code    Text `json:"code"`
	Name    Text `json:"name"`
	Mail    Text `json:"mail"`
	OldCode Text `json:"oldCode"`
}

// SendEdoc posts a package and returns the axis's DocId for it.
func (c *Client) SendEdoc(ctx context.Context, out Outgoing) (string, error) {
	params := []param{{"from", out.From}, {"servicetype", serviceEdoc}, {"messagetype", out.MessageType}, {"hash-file", out.Hash}}
	if len(out.To) > 0 {
		to, _ := json.Marshal(out.To)
		params = append(params, param{"to", string(to)})
	}
	body := io.MultiReader(out.Body, strings.NewReader("\r\n"))
	r, err := c.call(ctx, opSendEdoc, params, contentOctetStream, body, out.Size+2)
	if err != nil {
		return "", err
	}
	return string(r.DocID), nil
}

// ReceivedList lists what waits for this system in one queue.
func (c *Client) ReceivedList(ctx context.Context, messageType string) ([]ReceivedItem, error) {
	r, err := c.call(ctx, opReceivedEdocList, []param{{"servicetype", serviceEdoc}, {"messagetype", messageType}}, contentJSON, nil, 0)
	if err != nil {
		return nil, err
	}
	return list[ReceivedItem](r)
}

// GetEdoc fetches one received package, decoding it to w as it arrives.
func (c *Client) GetEdoc(ctx context.Context, docID string, w io.Writer) error {
	found := false
	read := func(r io.Reader) (rep reply, err error) {
		rep, found, err = readEdocReply(r, w)
		return rep, err
	}
	if _, err := c.exchange(ctx, opGetEdoc, []param{{"docId", docID}}, contentJSON, strings.NewReader("{}"), 2, read); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("axis: getEdoc %s answered no package", docID)
	}
	return nil
}

// UpdateStatus acknowledges a received item: AckDone, or AckFail.
func (c *Client) UpdateStatus(ctx context.Context, docID, status string) error {
	_, err := c.call(ctx, opUpdateStatus, []param{{"docId", docID}, {"status", status}}, contentJSON, strings.NewReader("{}"), 2)
	return err
}

// Agencies reads the axis's directory.
func (c *Client) Agencies(ctx context.Context) ([]Agency, error) {
	r, err := c.call(ctx, opAgenciesList, nil, contentJSON, nil, 0)
	if err != nil {
		return nil, err
	}
	return list[Agency](r)
}

// SentList lists what this system sent in one queue, or only the package docID.
func (c *Client) SentList(ctx context.Context, messageType, docID string) ([]SentItem, error) {
	params := []param{{"servicetype", serviceEdoc}, {"messagetype", messageType}}
	if docID != "" {
		params = append(params, param{"docId", docID})
	}
	r, err := c.call(ctx, opSentEdocList, params, contentJSON, nil, 0)
	if err != nil {
		return nil, err
	}
	return list[SentItem](r)
}

// call signs and posts one operation and reads its answer whole.
func (c *Client) call(ctx context.Context, op string, params []param, contentType string, body io.Reader, size int64) (reply, error) {
	return c.exchange(ctx, op, params, contentType, body, size, readWhole)
}

// exchange signs and posts one operation and reads its answer with read. A FAIL
// answer is a *Failure; a transport error, a 5xx or an unreadable answer is a
// *wire.Temporary. The body of any other HTTP status is read, as the SDK reads it.
func (c *Client) exchange(ctx context.Context, op string, params []param, contentType string, body io.Reader, size int64, read func(io.Reader) (reply, error)) (reply, error) {
	req, err := c.newRequest(ctx, op, params, contentType, body, size)
	if err != nil {
		return reply{}, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return reply{}, &wire.Temporary{Err: fmt.Errorf("axis: %s: %w", op, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= http.StatusInternalServerError {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return reply{}, &wire.Temporary{Err: fmt.Errorf("axis: %s answered %d: %s", op, resp.StatusCode, bytes.TrimSpace(raw))}
	}
	r, err := read(resp.Body)
	if err != nil {
		return reply{}, &wire.Temporary{Err: fmt.Errorf("axis: unable to read the answer to %s (HTTP %d): %w", op, resp.StatusCode, err)}
	}
	if r.Status == "" && r.ErrorCode == "" {
		return reply{}, &wire.Temporary{Err: fmt.Errorf("axis: %s answered %d without status or ErrorCode", op, resp.StatusCode)}
	}
	if !r.succeeded() {
		return r, &Failure{Operation: op, Code: string(r.ErrorCode), Desc: string(r.ErrorDesc)}
	}
	return r, nil
}

// readWhole reads an answer that holds no package.
func readWhole(r io.Reader) (reply, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxReplyBytes))
	if err != nil {
		return reply{}, err
	}
	var rep reply
	if err := json.Unmarshal(raw, &rep); err != nil {
		return reply{}, fmt.Errorf("%w: %.200s", err, bytes.TrimSpace(raw))
	}
	return rep, nil
}

// newRequest builds the request of op with its parameters signed: systemid first,
// then the operation's own, the timestamp and the content type, as in axis.md §2.
func (c *Client) newRequest(ctx context.Context, op string, params []param, contentType string, body io.Reader, size int64) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+"/"+op, body)
	if err != nil {
		return nil, fmt.Errorf("axis: unable to build the %s request: %w", op, err)
	}
	req.ContentLength = size
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	all := append([]param{{"systemid", c.SystemID}}, params...)
	all = append(all, param{"timestamp", Timestamp(now())}, param{"Content-Type", contentType})
	setSignedHeaders(req.Header, all, c.Secret)
	return req, nil
}
