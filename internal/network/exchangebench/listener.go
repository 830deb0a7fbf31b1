package exchangebench

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/network"
)

// statusListener is the sending node's exchange endpoint: the hub delivers the
// receiving node's statuses there. It verifies each like a node would, answers a
// signed receipt and tells the sender waiting for the document that its 01 arrived.
type statusListener struct {
	url      string
	server   *http.Server
	key      crypto.Signer
	signers  *x509.CertPool
	mu       sync.Mutex
	awaiting map[string]chan time.Time // DocumentId → where its 01's arrival goes
}

func listenForStatuses(peer *network.Peer, tlsRoots, signingRoots *x509.CertPool) (*statusListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("exchangebench: unable to listen: %w", err)
	}
	s := &statusListener{url: "https://" + ln.Addr().String(), key: peer.Credential.Key, signers: signingRoots,
		awaiting: map[string]chan time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathPackages, s.receive)
	mux.HandleFunc("GET "+wire.PathDirectory, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []wire.DirectoryEntry{{OrganID: sender, Name: senderName, Node: peer.Name}})
	})
	mux.HandleFunc("GET "+wire.PathHealth, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, wire.Health{Status: "ok", Role: "node", Name: peer.Name, Version: wire.Version})
	})
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: wire.ServerTLS(peer.Credential.TLSCertificate(), tlsRoots)}
	go s.server.ServeTLS(ln, "", "")
	return s, nil
}

func (s *statusListener) close() error { return s.server.Close() }

// expect registers a document whose 01 a sender will wait for.
func (s *statusListener) expect(documentID string) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan time.Time, 1)
	s.awaiting[documentID] = ch
	return ch
}

func (s *statusListener) forget(documentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.awaiting, documentID)
}

// arrived hands the 01's arrival to its sender, once.
func (s *statusListener) arrived(documentID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.awaiting[documentID]; ok {
		ch <- at
		delete(s.awaiting, documentID)
	}
}

func (s *statusListener) receive(w http.ResponseWriter, r *http.Request) {
	pkg, err := liaison.Read(http.MaxBytesReader(w, r.Body, 1<<20), liaison.Options{Roots: s.signers, RequireSignature: true})
	if refusal := wire.Judge(pkg, err); refusal != nil {
		writeJSON(w, refusal.Status, refusal.ErrorBody)
		return
	}
	if pkg.Kind == liaison.KindStatus && pkg.Status.StatusCode == "01" {
		s.arrived(pkg.Status.ResponseFor.DocumentID, time.Now())
	}
	body, sig, err := s.receipt(r.Header.Get(wire.HeaderPackageID))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set(wire.HeaderReceiptSignature, sig)
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// receipt is the signed receipt of a package.
func (s *statusListener) receipt(packageID string) (body []byte, sig string, err error) {
	body, err = json.Marshal(wire.Receipt{ReceiptID: "bench-" + packageID, PackageID: packageID,
		ReceivedAt: time.Now(), ReceivedBy: "bench"})
	if err == nil {
		sig, err = wire.SignReceipt(s.key, body)
	}
	if err != nil {
		return nil, "", fmt.Errorf("exchangebench: unable to sign a receipt: %w", err)
	}
	return body, sig, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
