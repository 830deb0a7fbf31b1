package web

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/signing/remote"
)

// Personal signatures (issue 14): the signer's key never reaches the server. The
// server prepares the signature (docs.PrepareSignature), the person's device signs its
// digest — a remote-signing provider after the PIN/OTP typed on the confirmation page,
// or the USB token through `edms agent` driven by the page's script — and the server
// completes it (docs.CompleteSignature) on any instance.

// routePersonalSign declares the pages and the page's JSON endpoints of personal signatures.
func (s *Server) routePersonalSign(r *mux.Router) {
	// Who may sign is the service's decision (delegations included), as for the step.
	guard := need(access.DocumentRead)
	s.handle(r, "sign.remote", "POST", "/documents/{id:[0-9]+}/sign/remote", guard, asPage, s.pageSignRemote)
	s.handleBody(r, "sign.prepare", "POST", "/documents/{id:[0-9]+}/sign/prepare", guard, asAPI, jsonBody, s.apiPrepareSignature)
	s.handle(r, "signature.confirm", "GET", "/signatures/{pid}", guard, asPage, s.pageConfirmSignature)
	s.handle(r, "signature.remote", "POST", "/signatures/{pid}/remote", guard, asPage, s.pageRemoteSignature)
	s.handle(r, "signature.otp", "POST", "/signatures/{pid}/otp", guard, asPage, s.pageResendOTP)
	s.handleBody(r, "signature.complete", "POST", "/signatures/{pid}/complete", guard, asAPI, jsonBody, s.apiCompleteSignature)
	s.handle(r, "signature.abandon", "POST", "/signatures/{pid}/abandon", guard, asPage, s.pageAbandonSignature)
}

// routePersonalSignAPI declares the same two-phase signature for API clients.
func (s *Server) routePersonalSignAPI(api *mux.Router) {
	guard := need(access.DocumentRead)
	s.handle(api, "api.sign.prepare", "POST", "/documents/{id:[0-9]+}/sign/prepare", guard, asAPI, s.apiPrepareSignature)
	s.handle(api, "api.signature.complete", "POST", "/signatures/{pid}/complete", guard, asAPI, s.apiCompleteSignature)
	s.handle(api, "api.signature.abandon", "POST", "/signatures/{pid}/abandon", guard, asAPI, s.apiAbandonSignature)
}

// personalSignPanel is the signing choice on the document page.
type personalSignPanel struct {
	Doc           *docs.Record
	Action        docs.ActionInfo
	CSRF          string
	AgentURL      string
	ServerKeys    bool           // the agency still allows server-held keys (the demo)
	Remote        []remoteChoice // the signer's credentials at their provider
	RemoteProblem string         // why no credential is offered
}

// remoteChoice is a credential the signer may sign with remotely.
type remoteChoice struct {
	Value  string // provider ID ":" credential ID
	Label  string
	Locked bool
}

// signChoiceTimeout bounds how long the document page waits for the provider's list.
const signChoiceTimeout = 5 * time.Second

// personalSignPanel builds the signing choice when the page offers the signing step.
func (s *Server) personalSignPanel(r *http.Request, d *documentDetail, csrf string) (*personalSignPanel, error) {
	var sign *docs.ActionInfo
	for i, a := range d.Actions {
		if a.Action == "sign" {
			sign = &d.Actions[i]
		}
	}
	if sign == nil {
		return nil, nil
	}
	required, err := s.docs.PersonalKeysRequired(r.Context(), d.Record.AgencyID)
	if err != nil {
		return nil, err
	}
	p := &personalSignPanel{Doc: d.Record, Action: *sign, CSRF: csrf, AgentURL: s.cfg.agentURL(), ServerKeys: !required}
	p.Remote, p.RemoteProblem, err = s.remoteChoices(r)
	return p, err
}

// remoteChoices lists the signer's credentials at their provider, or says why none.
func (s *Server) remoteChoices(r *http.Request) ([]remoteChoice, string, error) {
	provider, account, err := s.signingProvider(r)
	if errors.Is(err, errNoProviders) || errors.Is(err, errNoProvider) {
		return nil, remoteMessage(err), nil
	}
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(r.Context(), signChoiceTimeout)
	defer cancel()
	creds, err := provider.Credentials(ctx, account)
	if err != nil {
		return nil, remoteMessage(err), nil
	}
	var out []remoteChoice
	for _, c := range creds {
		out = append(out, remoteChoice{Value: provider.ID() + ":" + c.ID, Label: provider.Name() + " — " + credentialLabel(c), Locked: c.Locked})
	}
	if len(out) == 0 {
		return nil, "Tài khoản ký số từ xa của bạn chưa có chứng thư số nào.", nil
	}
	return out, "", nil
}

func credentialLabel(c remote.Credential) string {
	if c.Description != "" {
		return c.Description
	}
	return c.Certificate.Subject.CommonName
}

var (
	// errNoProviders: the node is connected to no remote-signing provider.
	errNoProviders = errors.New("web: no remote-signing provider configured")
	// errNoProvider: the person has no remote-signing account, or this node does not know its provider.
	errNoProvider = errors.New("web: no remote-signing provider for the person")
)

// signingProvider is the principal's provider and their account there.
func (s *Server) signingProvider(r *http.Request) (remote.Provider, string, error) {
	id, account, err := s.docs.SigningAccount(r.Context(), principalOf(r).User.ID)
	if err != nil {
		return nil, "", err
	}
	if s.Providers == nil || len(s.Providers.List()) == 0 {
		return nil, "", errNoProviders
	}
	if id == "" {
		return nil, "", errNoProvider
	}
	provider, ok := s.Providers.Get(id)
	if !ok {
		return nil, "", errNoProvider
	}
	return provider, account, nil
}

// credential finds one of the principal's credentials at their provider.
func (s *Server) credential(r *http.Request, providerID, credentialID string) (remote.Provider, remote.Credential, error) {
	provider, account, err := s.signingProvider(r)
	if err != nil {
		return nil, remote.Credential{}, err
	}
	if provider.ID() != providerID {
		return nil, remote.Credential{}, errNoProvider
	}
	creds, err := provider.Credentials(r.Context(), account)
	if err != nil {
		return nil, remote.Credential{}, err
	}
	for _, c := range creds {
		if c.ID == credentialID {
			return provider, c, nil
		}
	}
	return nil, remote.Credential{}, badRequest("credential_unknown", "Không tìm thấy chứng thư số đã chọn tại nhà cung cấp dịch vụ ký số.")
}

// remoteMessage words a provider's refusal for the signer, never echoing what they typed.
func remoteMessage(err error) string {
	var auth *remote.AuthError
	remaining := ""
	if errors.As(err, &auth) && auth.Remaining >= 0 {
		remaining = fmt.Sprintf(" Còn %d lần thử.", auth.Remaining)
	}
	switch {
	case errors.Is(err, remote.ErrWrongPIN):
		return "Mã PIN không đúng." + remaining
	case errors.Is(err, remote.ErrWrongOTP):
		return "Mã OTP không đúng hoặc đã hết hạn." + remaining + " Có thể bấm «Gửi lại mã OTP»."
	case errors.Is(err, remote.ErrLocked):
		return "Chứng thư số đã bị khóa tại nhà cung cấp (nhập sai PIN quá số lần cho phép); văn bản không thay đổi. Hãy liên hệ nhà cung cấp dịch vụ ký số để mở khóa."
	case errors.Is(err, remote.ErrUnavailable):
		return "Nhà cung cấp dịch vụ ký số từ xa không phản hồi (quá thời gian chờ hoặc mất kết nối); văn bản không thay đổi. Hãy thử lại sau ít phút."
	case errors.Is(err, remote.ErrUnknownAccount):
		return "Nhà cung cấp dịch vụ ký số từ xa không có tài khoản của bạn; hãy kiểm tra tài khoản ở trang «Ký số cá nhân»."
	case errors.Is(err, errNoProviders):
		return "Cơ quan chưa kết nối nhà cung cấp dịch vụ ký số từ xa nào."
	case errors.Is(err, errNoProvider):
		return "Bạn chưa chọn nhà cung cấp dịch vụ ký số từ xa (trang «Ký số cá nhân»)."
	}
	return "Không lấy được danh sách chứng thư số từ nhà cung cấp dịch vụ ký số."
}

// pageSignRemote prepares a remote signature with the chosen credential, asks the
// provider to send the OTP when the credential needs one, and opens the confirmation.
func (s *Server) pageSignRemote(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), documentID(r)
	back := fmt.Sprintf("/documents/%d", id)
	if _, err := s.docs.Get(ctx, s.actorOf(r), id); err != nil { // a hidden document is not found, before any provider is asked
		return docsError(err)
	}
	providerID, credentialID, _ := strings.Cut(r.FormValue("credential"), ":")
	provider, cred, err := s.credential(r, providerID, credentialID)
	if err != nil {
		return s.remoteRefusal(w, r, err, back)
	}
	key := docs.PersonalKey{Device: docs.DeviceRemote, Provider: provider.ID(), CredentialID: cred.ID, Certificate: cred.Certificate, Chain: cred.Chain}
	pending, err := s.docs.PrepareSignature(ctx, s.actorOf(r), id, signInputOf(r), key)
	if err != nil {
		return s.afterForm(w, r, err, back, "", back)
	}
	if cred.NeedsOTP {
		if err := provider.Challenge(ctx, cred.ID); err != nil {
			_ = s.docs.AbandonSignature(ctx, s.actorOf(r), pending.ID)
			return s.remoteRefusal(w, r, err, back)
		}
	}
	http.Redirect(w, r, "/signatures/"+pending.ID, http.StatusSeeOther)
	return nil
}

// remoteRefusal returns to the document with the provider's refusal.
func (s *Server) remoteRefusal(w http.ResponseWriter, r *http.Request, err error, back string) error {
	var api *apiError
	if errors.As(err, &api) {
		s.setFlash(w, r, true, api.Message)
	} else {
		s.setFlash(w, r, true, remoteMessage(err))
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func signInputOf(r *http.Request) docs.SignInput {
	return docs.SignInput{Competence: r.FormValue("competence"), Position: r.FormValue("position"), Note: r.FormValue("note")}
}

// confirmView is the page "Xác nhận ký số" of a remote signature.
type confirmView struct {
	pageBase
	Pending  *docs.PendingSignature
	Provider string
	Subject  string
	NeedsPIN bool
	NeedsOTP bool
	Message  string // the provider's refusal of the last try
}

var pendingIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// pendingOf is the principal's own pending signature named by the path.
func (s *Server) pendingOf(r *http.Request) (*docs.PendingSignature, error) {
	pid := mux.Vars(r)["pid"]
	if !pendingIDPattern.MatchString(pid) {
		return nil, errSignatureNotFound
	}
	p, err := s.docs.PendingSignatureByID(r.Context(), s.actorOf(r), pid)
	if errors.Is(err, docs.ErrNotFound) {
		return nil, errSignatureNotFound
	}
	return p, err
}

var errSignatureNotFound = &apiError{http.StatusNotFound, "signature_not_found",
	"Không tìm thấy phiên ký (đã hoàn tất, đã hủy hoặc không phải của bạn)."}

func (s *Server) pageConfirmSignature(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	return s.renderConfirm(w, r, p, http.StatusOK, "")
}

// renderConfirm shows the confirmation page, with the message of a refused try.
func (s *Server) renderConfirm(w http.ResponseWriter, r *http.Request, p *docs.PendingSignature, status int, message string) error {
	if p.Device != docs.DeviceRemote {
		return errSignatureNotFound
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	view := confirmView{pageBase: base, Pending: p, Message: message}
	provider, cred, err := s.credential(r, p.Provider, p.CredentialID)
	if err != nil {
		s.setFlash(w, r, true, remoteMessage(err))
		http.Redirect(w, r, fmt.Sprintf("/documents/%d", p.DocumentID), http.StatusSeeOther)
		return nil
	}
	view.Provider, view.Subject, view.NeedsPIN, view.NeedsOTP = provider.Name(), subjectLine(cred.Certificate), cred.NeedsPIN, cred.NeedsOTP
	return s.render(w, status, "sign-confirm", view)
}

// subjectLine names a certificate's holder and issuer for the person.
func subjectLine(c *x509.Certificate) string {
	return c.Subject.CommonName + " (cấp bởi " + c.Issuer.CommonName + ", hiệu lực đến " + c.NotAfter.Format("02/01/2006") + ")"
}

// pageRemoteSignature has the provider sign the prepared digest with the PIN/OTP
// just typed (passed through, never kept) and completes the signature.
func (s *Server) pageRemoteSignature(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/documents/%d", p.DocumentID)
	provider, ok := s.providerOf(p)
	if !ok {
		return s.remoteRefusal(w, r, errNoProvider, back)
	}
	value, err := provider.Sign(ctx, remote.SignRequest{CredentialID: p.CredentialID, Digest: p.Digest, Hash: p.Hash,
		PIN: r.PostFormValue("pin"), OTP: r.PostFormValue("otp"), Description: p.Label})
	switch {
	case errors.Is(err, remote.ErrWrongPIN), errors.Is(err, remote.ErrWrongOTP), errors.Is(err, remote.ErrUnavailable):
		return s.renderConfirm(w, r, p, http.StatusUnprocessableEntity, remoteMessage(err))
	case err != nil:
		_ = s.docs.AbandonSignature(ctx, s.actorOf(r), p.ID)
		return s.remoteRefusal(w, r, err, back)
	}
	err = s.docs.CompleteSignature(ctx, s.actorOf(r), p.ID, value)
	return s.afterForm(w, r, err, back, "Đã ký số từ xa.", back)
}

func (s *Server) providerOf(p *docs.PendingSignature) (remote.Provider, bool) {
	if s.Providers == nil || p.Device != docs.DeviceRemote {
		return nil, false
	}
	return s.Providers.Get(p.Provider)
}

// pageResendOTP asks the provider for a new OTP.
func (s *Server) pageResendOTP(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	provider, ok := s.providerOf(p)
	if !ok {
		return s.remoteRefusal(w, r, errNoProvider, fmt.Sprintf("/documents/%d", p.DocumentID))
	}
	if err := provider.Challenge(r.Context(), p.CredentialID); err != nil {
		return s.renderConfirm(w, r, p, http.StatusServiceUnavailable, remoteMessage(err))
	}
	s.setFlash(w, r, false, "Mã OTP mới đã được gửi.")
	http.Redirect(w, r, "/signatures/"+p.ID, http.StatusSeeOther)
	return nil
}

// pageAbandonSignature cancels the attempt ("Hủy"); the document stays as it was.
func (s *Server) pageAbandonSignature(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/documents/%d", p.DocumentID)
	err = s.docs.AbandonSignature(r.Context(), s.actorOf(r), p.ID)
	return s.afterForm(w, r, err, back, "Đã hủy lần ký; văn bản không thay đổi.", back)
}

// prepareRequest is a signature to prepare for the certificate of the person's own device.
type prepareRequest struct {
	Device      string   `json:"device"`      // "agent"
	Certificate string   `json:"certificate"` // base64 DER
	Chain       []string `json:"chain"`       // base64 DER, issuers
	Competence  string   `json:"competence"`
	Position    string   `json:"position"`
	Note        string   `json:"note"`
}

// preparedJSON is what the device signs.
type preparedJSON struct {
	ID      string    `json:"id"`
	Digest  string    `json:"digest"` // base64
	Hash    string    `json:"hash"`   // "SHA-256"
	Label   string    `json:"label"`
	Expires time.Time `json:"expires"`
}

func (s *Server) apiPrepareSignature(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.docs.Get(r.Context(), s.actorOf(r), documentID(r)); err != nil { // a hidden document is not found, whatever the body
		return docsError(err)
	}
	var in prepareRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Device != docs.DeviceAgent {
		return badRequest("device_invalid", "Thiết bị ký phải là \"agent\" (USB token qua edms agent).")
	}
	cert, chain, err := parseCertificates(in.Certificate, in.Chain)
	if err != nil {
		return err
	}
	key := docs.PersonalKey{Device: docs.DeviceAgent, Certificate: cert, Chain: chain}
	p, err := s.docs.PrepareSignature(r.Context(), s.actorOf(r), documentID(r),
		docs.SignInput{Competence: in.Competence, Position: in.Position, Note: in.Note}, key)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, preparedJSON{ID: p.ID, Digest: base64.StdEncoding.EncodeToString(p.Digest),
		Hash: hashName(p.Hash), Label: p.Label, Expires: p.ExpiresAt})
	return nil
}

func hashName(h crypto.Hash) string { return h.String() } // "SHA-256"

var errCertificateInvalid = badRequest("certificate_invalid", "Chứng thư số gửi lên không đọc được (cần DER mã hóa base64).")

// parseCertificates reads the leaf and its issuers, base64 DER each.
func parseCertificates(leaf string, chain []string) (*x509.Certificate, []*x509.Certificate, error) {
	parse := func(b64 string) (*x509.Certificate, error) {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, errCertificateInvalid
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errCertificateInvalid
		}
		return c, nil
	}
	cert, err := parse(leaf)
	if err != nil {
		return nil, nil, err
	}
	var issuers []*x509.Certificate
	for _, c := range chain {
		issuer, err := parse(c)
		if err != nil {
			return nil, nil, err
		}
		issuers = append(issuers, issuer)
	}
	return cert, issuers, nil
}

// completeRequest carries the device's signature of the prepared digest.
type completeRequest struct {
	Signature string `json:"signature"` // base64, as crypto.Signer returns it
}

func (s *Server) apiCompleteSignature(w http.ResponseWriter, r *http.Request) error {
	var in completeRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	value, err := base64.StdEncoding.DecodeString(in.Signature)
	if err != nil || len(value) == 0 {
		return badRequest("signature_invalid", "Giá trị chữ ký gửi lên không đọc được (cần base64).")
	}
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	if err := s.docs.CompleteSignature(r.Context(), s.actorOf(r), p.ID, value); err != nil {
		return docsError(err)
	}
	if principalOf(r).viaSession {
		s.setFlash(w, r, false, "Đã ký số bằng USB token.")
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "redirect": fmt.Sprintf("/documents/%d", p.DocumentID)})
	return nil
}

func (s *Server) apiAbandonSignature(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	if err := s.docs.AbandonSignature(r.Context(), s.actorOf(r), p.ID); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

// deviceLabels name how the key of a signature was held, on the signatures panel.
var deviceLabels = map[string]string{
	docs.DeviceServer: "Khóa do máy chủ giữ — chỉ dùng cho bản trình diễn",
	docs.DeviceRemote: "Ký số từ xa",
	docs.DeviceAgent:  "USB token",
}

// signatureDevice is one version of the main file that added a signature.
type signatureDevice struct {
	Version int
	Label   string
	Server  bool
}

// SignatureDevices lists, oldest first, the versions of the main file that added a
// signature and how its key was held.
func (v documentView) SignatureDevices() []signatureDevice {
	var out []signatureDevice
	for _, f := range v.Files {
		if label, ok := deviceLabels[f.SignatureDevice]; ok && f.Kind == docs.KindMain {
			out = append(out, signatureDevice{Version: f.Version, Label: label, Server: f.SignatureDevice == docs.DeviceServer})
		}
	}
	return out
}
