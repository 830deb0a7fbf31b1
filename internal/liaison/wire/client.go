package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one exchange endpoint (a hub, or a node) over mutual TLS.
type Client struct {
	BaseURL string       // e.g. https://hub.thainguyen.gov.vn:8443
	HTTP    *http.Client // with a Transport whose TLSClientConfig is ClientTLS(...)
}

// Refusal is a permanent refusal (4xx) from the other side: retrying the same
// package will not help.
type Refusal struct {
	Status int
	ErrorBody
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("refused (%d %s): %s", r.Status, r.Code, r.Message)
}

// Temporary is a failure worth retrying: a transport error, a timeout, a 5xx.
type Temporary struct{ Err error }

func (t *Temporary) Error() string { return "temporary: " + t.Err.Error() }
func (t *Temporary) Unwrap() error { return t.Err }

// Outgoing is one package to post.
type Outgoing struct {
	Body      io.Reader // the signed edXML package
	Length    int64     // its size when known (-1: unknown, sent chunked)
	PackageID string    // the sender's package id; required (DefaultPackageID when none was assigned)
	Recipient string    // the To recipient this copy is for, or "" for all
	Hops      []Hop
}

// Send posts a package and returns the receiver's verified Receipt. The error is a
// *Refusal for a 4xx and a *Temporary for anything worth retrying.
func (c *Client) Send(ctx context.Context, out Outgoing) (Receipt, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(PathPackages), out.Body)
	if err != nil {
		return Receipt{}, err
	}
	if out.Length >= 0 {
		req.ContentLength = out.Length
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set(HeaderVersion, Version)
	req.Header.Set(HeaderPackageID, out.PackageID)
	if out.Recipient != "" {
		req.Header.Set(HeaderRecipient, out.Recipient)
	}
	if len(out.Hops) > 0 {
		hops, _ := json.Marshal(out.Hops)
		req.Header.Set(HeaderHops, string(hops))
	}
	var receipt Receipt
	err = c.do(req, &receipt, true)
	return receipt, err
}

// SendReport posts a Report.
func (c *Client) SendReport(ctx context.Context, r Report) error {
	body, _ := json.Marshal(r)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(PathReports), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderVersion, Version)
	return c.do(req, nil, false)
}

// Directory fetches the endpoint's directory.
func (c *Client) Directory(ctx context.Context) ([]DirectoryEntry, error) {
	var entries []DirectoryEntry
	err := c.get(ctx, PathDirectory, &entries)
	return entries, err
}

// Tracking fetches where a document stands at each recipient.
func (c *Client) Tracking(ctx context.Context, documentID string) ([]Tracking, error) {
	var t []Tracking
	err := c.get(ctx, PathTracking+"?document_id="+url.QueryEscape(documentID), &t)
	return t, err
}

// Health fetches the endpoint's health.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.get(ctx, PathHealth, &h)
	return h, err
}

func (c *Client) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path), nil)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderVersion, Version)
	return c.do(req, into, false)
}

func (c *Client) url(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }

// do runs the request and decodes a 200 body into into; with signed, the body must
// carry a receipt signature by the server's certificate.
func (c *Client) do(req *http.Request, into any, signed bool) error {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return &Temporary{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return &Temporary{err}
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return &Temporary{fmt.Errorf("%s answered %d: %s", req.URL.Host, resp.StatusCode, bytes.TrimSpace(body))}
	case resp.StatusCode >= 400:
		ref := &Refusal{Status: resp.StatusCode}
		if json.Unmarshal(body, &ref.ErrorBody) != nil || ref.Code == "" {
			ref.Code, ref.Message = CodeInvalid, strings.TrimSpace(string(body))
		}
		return ref
	case resp.StatusCode != http.StatusOK:
		return &Temporary{fmt.Errorf("%s answered %d", req.URL.Host, resp.StatusCode)}
	}
	if signed {
		if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
			return errors.New("wire: a receipt must come over TLS")
		}
		if err := VerifyReceipt(resp.TLS.PeerCertificates[0], body, resp.Header.Get(HeaderReceiptSignature)); err != nil {
			return err
		}
	}
	if into == nil {
		return nil
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("wire: %s answered an unreadable body: %w", req.URL.Host, err)
	}
	return nil
}

// NewHTTPClient is an HTTP client for the exchange with the given TLS configuration
// and a timeout suited to large packages (the body streams; the timeout bounds the
// whole exchange).
func NewHTTPClient(tlsConfig *tls.Config, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig:     tlsConfig,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}}
}
