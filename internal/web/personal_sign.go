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
	s.handle(api, "api.signature.remote", "POST", "/signatures/{pid}/remote", guard, asAPI, s.apiRemoteSignature)
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

// signChoiceTimeout bounds how long the document page waits for the provider's list
// (which then keeps coming in the background, for the next view).
const signChoiceTimeout = 2 * time.Second

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
	creds, err := s.credentials.list(ctx, provider, account)
	if errors.Is(err, remote.ErrUnavailable) {
		return nil, "Nhà cung cấp ký số từ xa không phản hồi; hãy tải lại trang sau ít phút, hoặc ký bằng USB token.", nil
	}
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

// credential finds one of the principal's credentials at their provider (in the
// list fetched in the last two minutes).
func (s *Server) credential(r *http.Request, providerID, credentialID string) (remote.Provider, remote.Credential, error) {
	provider, account, err := s.signingProvider(r)
	if err != nil {
		return nil, remote.Credential{}, err
	}
	if provider.ID() != providerID {
		return nil, remote.Credential{}, errNoProvider
	}
	creds, err := s.credentials.list(r.Context(), provider, account)
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

// remoteCodes are the stable codes of a provider's refusals, for API clients.
var remoteCodes = []struct {
	err  error
	code string
}{
	{remote.ErrWrongPIN, "wrong_pin"}, {remote.ErrWrongOTP, "wrong_otp"}, {remote.ErrLocked, "credential_locked"},
	{remote.ErrUnavailable, "provider_unavailable"}, {remote.ErrUnknownAccount, "unknown_account"},
	{errNoProviders, "no_provider"}, {errNoProvider, "no_provider"},
}

// remoteRefused answers a provider's refusal (or its absence) with 422 and the
// sentence the person reads; a refusal already worded passes unchanged.
func remoteRefused(err error) *apiError {
	var api *apiError
	if errors.As(err, &api) {
		return api
	}
	code := "provider_error"
	for _, c := range remoteCodes {
		if errors.Is(err, c.err) {
			code = c.code
			break
		}
	}
	return &apiError{http.StatusUnprocessableEntity, code, remoteMessage(err)}
}

// pageSignRemote prepares a remote signature with the chosen credential and opens
// its confirmation.
func (s *Server) pageSignRemote(w http.ResponseWriter, r *http.Request) error {
	id := documentID(r)
	back := fmt.Sprintf("/documents/%d", id)
	if _, err := s.docs.Get(r.Context(), s.actorOf(r), id); err != nil { // a hidden document is not found, before any provider is asked
		return docsError(err)
	}
	providerID, credentialID, _ := strings.Cut(r.FormValue("credential"), ":")
	pending, _, err := s.prepareRemote(r, id, providerID, credentialID, signInputOf(r))
	if err != nil {
		return s.afterForm(w, r, err, back, "", back)
	}
	http.Redirect(w, r, "/signatures/"+pending.ID, http.StatusSeeOther)
	return nil
}

// prepareRemote prepares the principal's signature of the document with their
// credential at the provider, and has the provider send the OTP when the credential
// needs one. The provider's refusals are remoteRefused, the service's its own.
func (s *Server) prepareRemote(r *http.Request, id int64, providerID, credentialID string, in docs.SignInput) (*docs.PendingSignature, remote.Credential, error) {
	ctx := r.Context()
	provider, cred, err := s.credential(r, providerID, credentialID)
	if err == nil && cred.Locked {
		err = remote.ErrLocked
	}
	if err != nil {
		return nil, cred, remoteRefused(err)
	}
	key := docs.PersonalKey{Device: docs.DeviceRemote, Provider: provider.ID(), CredentialID: cred.ID, Certificate: cred.Certificate, Chain: cred.Chain}
	pending, err := s.docs.PrepareSignature(ctx, s.actorOf(r), id, in, key)
	if err != nil {
		return nil, cred, err
	}
	if cred.NeedsOTP {
		if err := provider.Challenge(ctx, cred.ID); err != nil {
			_ = s.docs.AbandonSignature(ctx, s.actorOf(r), pending.ID)
			return nil, cred, remoteRefused(err)
		}
	}
	return pending, cred, nil
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

// pageRemoteSignature signs with the PIN/OTP just typed; after a refusal the person
// may retry, the confirmation shows why.
func (s *Server) pageRemoteSignature(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/documents/%d", p.DocumentID)
	retry, err := s.signRemote(r, p, r.PostFormValue("pin"), r.PostFormValue("otp"))
	var api *apiError
	if retry && errors.As(err, &api) {
		return s.renderConfirm(w, r, p, http.StatusUnprocessableEntity, api.Message)
	}
	return s.afterForm(w, r, err, back, "Đã ký số từ xa.", back)
}

// signRemote has the provider sign the pending signature's digest with the PIN/OTP
// the person typed (passed through, never kept) and completes the signature. It
// reports whether the person may retry the same attempt (a wrong PIN or OTP, the
// provider not answering); any other refusal of the provider abandons it. Refusals
// are 422 with the sentence the person reads.
func (s *Server) signRemote(r *http.Request, p *docs.PendingSignature, pin, otp string) (retry bool, err error) {
	ctx, a := r.Context(), s.actorOf(r)
	if p.Device != docs.DeviceRemote {
		return false, errSignatureNotFound
	}
	provider, ok := s.providerOf(p)
	if !ok {
		return false, remoteRefused(errNoProvider)
	}
	value, err := provider.Sign(ctx, remote.SignRequest{CredentialID: p.CredentialID, Digest: p.Digest, Hash: p.Hash,
		PIN: pin, OTP: otp, Description: p.Label})
	switch {
	case errors.Is(err, remote.ErrWrongPIN), errors.Is(err, remote.ErrWrongOTP), errors.Is(err, remote.ErrUnavailable):
		return true, remoteRefused(err)
	case err != nil:
		_ = s.docs.AbandonSignature(ctx, a, p.ID)
		if _, account, accountErr := s.signingProvider(r); accountErr == nil { // the credential's state changed (locked)
			s.credentials.forget(p.Provider, account)
		}
		return false, remoteRefused(err)
	}
	if err := s.docs.CompleteSignature(ctx, a, p.ID, value); err != nil {
		return false, refusedAttempt(err)
	}
	return false, nil
}

// refusedAttempt answers the service's refusal to complete a remote signature (the
// attempt expired, the certificate was revoked since, the value does not match)
// with 422, like the provider's.
func refusedAttempt(err error) error {
	if errors.Is(err, docs.ErrInvalid) {
		return &apiError{http.StatusUnprocessableEntity, "signature_refused", docs.UserMessage(err)}
	}
	return docsError(err)
}

// remoteSignRequest is what the person typed for the provider.
type remoteSignRequest struct {
	PIN string `json:"pin"`
	OTP string `json:"otp"`
}

// apiRemoteSignature is pageRemoteSignature for API clients.
func (s *Server) apiRemoteSignature(w http.ResponseWriter, r *http.Request) error {
	var in remoteSignRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.pendingOf(r)
	if err != nil {
		return err
	}
	if _, err := s.signRemote(r, p, in.PIN, in.OTP); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "document": p.DocumentID})
	return nil
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
		back := fmt.Sprintf("/documents/%d", p.DocumentID)
		return s.afterForm(w, r, remoteRefused(errNoProvider), back, "", back)
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

// prepareRequest is a signature to prepare for the person's own device: the
// certificate of their USB token (agent), or their credential at a provider (remote).
type prepareRequest struct {
	Device       string   `json:"device"`        // "agent" or "remote"
	Certificate  string   `json:"certificate"`   // agent: base64 DER
	Chain        []string `json:"chain"`         // agent: base64 DER, issuers
	Provider     string   `json:"provider"`      // remote: the provider's ID
	CredentialID string   `json:"credential_id"` // remote
	Competence   string   `json:"competence"`
	Position     string   `json:"position"`
	Note         string   `json:"note"`
}

func (in prepareRequest) signInput() docs.SignInput {
	return docs.SignInput{Competence: in.Competence, Position: in.Position, Note: in.Note}
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
	switch in.Device {
	case docs.DeviceAgent:
		return s.prepareForAgent(w, r, in)
	case docs.DeviceRemote:
		return s.prepareForProvider(w, r, in)
	}
	return badRequest("device_invalid", "Thiết bị ký phải là \"agent\" (USB token qua edms agent) hoặc \"remote\" (ký số từ xa).")
}

// prepareForAgent prepares for the USB token's certificate; the answer is what the token signs.
func (s *Server) prepareForAgent(w http.ResponseWriter, r *http.Request, in prepareRequest) error {
	cert, chain, err := parseCertificates(in.Certificate, in.Chain)
	if err != nil {
		return err
	}
	key := docs.PersonalKey{Device: docs.DeviceAgent, Certificate: cert, Chain: chain}
	p, err := s.docs.PrepareSignature(r.Context(), s.actorOf(r), documentID(r), in.signInput(), key)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, preparedJSON{ID: p.ID, Digest: base64.StdEncoding.EncodeToString(p.Digest),
		Hash: hashName(p.Hash), Label: p.Label, Expires: p.ExpiresAt})
	return nil
}

// remotePreparedJSON is a remote signature waiting for the PIN/OTP of its owner
// (POST /signatures/{id}/remote).
type remotePreparedJSON struct {
	ID       string    `json:"id"`
	Label    string    `json:"label"`
	NeedsPIN bool      `json:"needs_pin"`
	NeedsOTP bool      `json:"needs_otp"` // the provider has sent it
	Expires  time.Time `json:"expires"`
}

// prepareForProvider prepares for the person's credential at the provider, as
// pageSignRemote does; the answer says what to send to sign.
func (s *Server) prepareForProvider(w http.ResponseWriter, r *http.Request, in prepareRequest) error {
	p, cred, err := s.prepareRemote(r, documentID(r), in.Provider, in.CredentialID, in.signInput())
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, remotePreparedJSON{ID: p.ID, Label: p.Label, NeedsPIN: cred.NeedsPIN, NeedsOTP: cred.NeedsOTP, Expires: p.ExpiresAt})
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
