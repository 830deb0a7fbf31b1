package wire

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReceiptSignatures(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	server := httptest.NewTLSServer(http.NotFoundHandler())
	defer server.Close()
	body := []byte(`{"receipt_id":"r1"}`)
	header, err := SignReceipt(ec, body)
	if err != nil {
		t.Fatal(err)
	}
	cert := server.Certificate()
	cert.PublicKey = &ec.PublicKey
	if err := VerifyReceipt(cert, body, header); err != nil {
		t.Fatalf("a receipt signed by the key does not verify: %v", err)
	}
	if err := VerifyReceipt(cert, []byte(`{"receipt_id":"r2"}`), header); err == nil {
		t.Fatal("a changed receipt verifies")
	}
	rsaHeader, _ := SignReceipt(rk, body)
	if err := VerifyReceipt(cert, body, rsaHeader); err == nil {
		t.Fatal("a receipt signed by another key verifies")
	}
}

// TestClientSend posts to a TLS server that answers with a signed receipt, a refusal
// and a server error, and checks the three outcomes the sender branches on.
func TestClientSend(t *testing.T) {
	var answer func(w http.ResponseWriter, r *http.Request)
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w, r) }))
	server.StartTLS()
	defer server.Close()
	signer := server.TLS.Certificates[0].PrivateKey.(crypto.Signer)
	client := &Client{BaseURL: server.URL, HTTP: server.Client()}

	answer = func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(HeaderVersion) != Version || r.Header.Get(HeaderPackageID) != DefaultPackageID(body) {
			t.Errorf("headers not sent: %v", r.Header)
		}
		out, _ := json.Marshal(Receipt{ReceiptID: "hub-1", PackageID: r.Header.Get(HeaderPackageID)})
		sig, err := SignReceipt(signer, out)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set(HeaderReceiptSignature, sig)
		w.Write(out)
	}
	pkg := []byte("<edXML/>")
	receipt, err := client.Send(context.Background(), Outgoing{Body: bytes.NewReader(pkg), Length: int64(len(pkg)), PackageID: DefaultPackageID(pkg)})
	if err != nil || receipt.ReceiptID != "hub-1" {
		t.Fatalf("Send = %+v, %v", receipt, err)
	}

	answer = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(ErrorBody{Code: CodeWrongRecipient, Message: "không có nơi nhận"})
	}
	_, err = client.Send(context.Background(), Outgoing{Body: bytes.NewReader(pkg), Length: -1, PackageID: "p"})
	var refusal *Refusal
	if !errors.As(err, &refusal) || refusal.Code != CodeWrongRecipient {
		t.Fatalf("a 400 gave %v, want a refusal", err)
	}

	answer = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	_, err = client.Send(context.Background(), Outgoing{Body: bytes.NewReader(pkg), Length: -1, PackageID: "p"})
	var temporary *Temporary
	if !errors.As(err, &temporary) {
		t.Fatalf("a 503 gave %v, want a temporary failure", err)
	}

	answer = func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"receipt_id":"forged"}`)) }
	if _, err = client.Send(context.Background(), Outgoing{Body: bytes.NewReader(pkg), Length: -1, PackageID: "p"}); err == nil {
		t.Fatal("an unsigned receipt was accepted")
	}
}
