package exchange

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// Handler serves the protocol's paths for the node's mutual-TLS listener.
func (l *Link) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathPackages, l.authenticated(l.receivePackage))
	mux.HandleFunc("POST "+wire.PathReports, l.authenticated(l.receiveReport))
	mux.HandleFunc("GET "+wire.PathDirectory, l.authenticated(l.serveDirectory))
	mux.HandleFunc("GET "+wire.PathTracking, l.authenticated(l.serveTracking))
	mux.HandleFunc("GET "+wire.PathHealth, l.authenticated(l.serveHealth))
	return mux
}

// authenticated admits registered peers speaking our protocol version.
func (l *Link) authenticated(next func(http.ResponseWriter, *http.Request, *Peer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		spki := wire.PeerFingerprint(r.TLS)
		if spki == "" {
			wire.WriteRefusal(w, refusal(http.StatusUnauthorized, wire.CodeUnauthenticated,
				"Cần chứng thư máy khách của một nút hoặc trục đã đăng ký."))
			return
		}
		peer, err := peerBySPKI(r.Context(), l.Pool, spki)
		if errors.Is(err, ErrPeerNotFound) {
			wire.WriteRefusal(w, refusal(http.StatusUnauthorized, wire.CodeUnauthenticated,
				"Chứng thư máy khách không thuộc nút hoặc trục nào đã đăng ký."))
			return
		}
		if err != nil {
			unavailable(w, err)
			return
		}
		if v := r.Header.Get(wire.HeaderVersion); v != wire.Version {
			wire.WriteRefusal(w, refusal(http.StatusBadRequest, wire.CodeUnsupportedVersion,
				fmt.Sprintf("Phiên bản giao thức %q không được hỗ trợ; cần %s = %s.", v, wire.HeaderVersion, wire.Version)))
			return
		}
		next(w, r, peer)
	}
}

// incoming is a package as it arrived: read and verified, its attachments kept
// (in memory, or spilled to disk if large) until it is registered.
type incoming struct {
	pkg       *liaison.Package
	sink      *liaison.SpillSink
	sha256    string
	packageID string
	hops      []wire.Hop
}

func (l *Link) receivePackage(w http.ResponseWriter, r *http.Request, peer *Peer) {
	if l.ReceiptKey == nil { // nothing could be acknowledged: store nothing
		unavailable(w, errors.New("exchange: no key to sign receipts with"))
		return
	}
	limit := l.maxPackageBytes()
	if r.ContentLength > limit {
		l.Metrics.refused(peer.Name, "unknown")
		wire.WriteRefusal(w, refusal(http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
			fmt.Sprintf("Gói tin vượt quá giới hạn %d byte.", limit)))
		return
	}
	sink := liaison.NewSpillSink("", attachmentsInMemory)
	defer sink.Discard()
	in, ref := l.read(http.MaxBytesReader(w, r.Body, limit), r.Header, sink, peer)
	if ref != nil {
		l.Metrics.refused(peer.Name, kindOf(in))
		slog.Warn("exchange: package refused", "peer", peer.Name, "code", ref.Code, "message", ref.Message,
			"document_id", documentIDOf(in), "package_id", r.Header.Get(wire.HeaderPackageID))
		wire.WriteRefusal(w, ref)
		return
	}
	receipt, ref, err := l.register(r.Context(), in, r.Header.Get(wire.HeaderRecipient), peer)
	log := slog.With("peer", peer.Name, "document_id", documentIDOf(in), "package_id", in.packageID)
	switch {
	case err != nil:
		log.Error("exchange: unable to register a package", "error", err)
		unavailable(w, err)
		return
	case ref != nil:
		l.Metrics.refused(peer.Name, kindOf(in))
		log.Warn("exchange: package refused", "code", ref.Code, "message", ref.Message)
		wire.WriteRefusal(w, ref)
		return
	}
	if !receipt.Duplicate {
		l.Metrics.received(peer.Name, kindOf(in))
	}
	log.Info("exchange: package registered", "receipt_id", receipt.ReceiptID, "duplicate", receipt.Duplicate)
	l.writeReceipt(w, receipt)
}

// attachmentsInMemory is how many bytes of one package's attachments a node keeps in
// memory while registering it; the rest waits in temporary files.
const attachmentsInMemory = 4 << 20

// read streams the body through the edXML reader into sink and judges it: the
// package must be well formed, signed by its sender's agency under our trust
// anchors, and come from an agency the peer serves.
func (l *Link) read(body io.Reader, h http.Header, sink *liaison.SpillSink, peer *Peer) (*incoming, *wire.Refusal) {
	digest := sha256.New()
	tee := io.TeeReader(body, digest)
	in := &incoming{sink: sink}
	pkg, err := liaison.Read(tee, liaison.Options{Sink: in.sink, Roots: l.Roots, RequireSignature: true,
		Limits: liaison.Limits{MaxPackageBytes: l.maxPackageBytes()}})
	in.pkg = pkg
	if ref := wire.Judge(pkg, err); ref != nil {
		return in, ref
	}
	if _, err := io.Copy(digest, body); err != nil { // what follows the root element
		return in, wire.Judge(pkg, err)
	}
	if st, revoked := l.Revocation.RevokedInChain(pkg.Signature.Chain); revoked {
		return in, wire.RevokedSigner(st.Subject)
	}
	if from := wire.Sender(pkg); !peer.serves(from) {
		return in, refusal(http.StatusForbidden, wire.CodeSenderMismatch,
			fmt.Sprintf("Nút %s không phục vụ cơ quan gửi %s.", peer.Name, from))
	}
	in.sha256 = hexSum(digest)
	in.packageID = h.Get(wire.HeaderPackageID)
	if in.packageID == "" {
		in.packageID = in.sha256 // wire.DefaultPackageID of the body
	}
	if raw := h.Get(wire.HeaderHops); raw != "" {
		if err := json.Unmarshal([]byte(raw), &in.hops); err != nil {
			return in, refusal(http.StatusBadRequest, wire.CodeInvalid, "Tiêu đề "+wire.HeaderHops+" không đọc được: "+err.Error())
		}
	}
	return in, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// open returns an attachment's stored bytes; the sink closes them when discarded.
func (in *incoming) open(a liaison.Attachment) (io.Reader, error) {
	f, err := in.sink.Open(a.Index)
	if err != nil {
		return nil, fmt.Errorf("exchange: attachment %s was not stored: %w", a.Name, err)
	}
	return io.NewSectionReader(f, 0, a.Size), nil
}

func kindOf(in *incoming) string {
	if in == nil || in.pkg == nil {
		return "unknown"
	}
	return in.pkg.Kind.String()
}

func documentIDOf(in *incoming) string {
	switch {
	case in == nil || in.pkg == nil:
		return ""
	case in.pkg.Header != nil:
		return in.pkg.Header.DocumentID
	case in.pkg.Status != nil:
		return in.pkg.Status.ResponseFor.DocumentID
	}
	return ""
}

// writeReceipt answers a registered package with its receipt, signed with the
// listener's TLS key.
func (l *Link) writeReceipt(w http.ResponseWriter, receipt wire.Receipt) {
	body, err := json.Marshal(receipt)
	if err != nil {
		unavailable(w, err)
		return
	}
	sig, err := wire.SignReceipt(l.ReceiptKey, body)
	if err != nil {
		unavailable(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.HeaderReceiptSignature, sig)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func refusal(status int, code, message string) *wire.Refusal {
	return &wire.Refusal{Status: status, ErrorBody: wire.ErrorBody{Code: code, Message: message}}
}

// unavailable answers a failure of this node (the database, the disk): the sender
// retries.
func unavailable(w http.ResponseWriter, err error) {
	slog.Error("exchange: unable to serve a request", "error", err)
	wire.WriteRefusal(w, refusal(http.StatusServiceUnavailable, wire.CodeUnavailable, "Nút tạm thời không lưu được gói tin; hãy gửi lại sau."))
}
