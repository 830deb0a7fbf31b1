package docsign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"edms/internal/docs"
	"edms/internal/signing"
)

// Personal signatures in two phases: the competent person's key stays on their
// device. PrepareLeader lays the signature out as SignAsLeader would and returns the
// digest to sign; CompleteLeader, possibly on another instance, embeds the device's
// value from what the service stored and checks the result with edms's verifier.

// preparedState is what CompleteLeader needs besides the prepared PDF, kept by the
// service as an opaque JSON document.
type preparedState struct {
	ByteRange        [4]int64  `json:"byte_range"`
	SignedAttributes []byte    `json:"signed_attributes"`
	Certificate      []byte    `json:"certificate"`
	Chain            [][]byte  `json:"chain"`
	At               time.Time `json:"at"`
}

// PrepareLeader lays out the competent person's visible signature for key.
func (h *Hook) PrepareLeader(_ context.Context, in io.Reader, s docs.LeaderSignature, key docs.PersonalKey) (*docs.PreparedLeader, error) {
	sig, err := h.personSignature(s)
	if err != nil {
		return nil, err
	}
	doc, err := readPDF(in)
	if err != nil {
		return nil, err
	}
	signer := &signing.Signer{Clock: func() time.Time { return s.At }}
	p, err := signer.PreparePerson(doc, sig, key.Certificate, key.Chain)
	if err != nil {
		return nil, signingError(err)
	}
	st := preparedState{ByteRange: p.ByteRange, SignedAttributes: p.SignedAttributes, Certificate: p.Certificate.Raw, At: p.At}
	for _, c := range p.Chain {
		st.Chain = append(st.Chain, c.Raw)
	}
	state, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("docsign: unable to keep the prepared signature: %w", err)
	}
	return &docs.PreparedLeader{PDF: p.PDF, State: state, Digest: p.Digest, Hash: p.Hash}, nil
}

// CompleteLeader embeds value into the prepared signature and writes the signed PDF
// to out, only when edms's verifier finds every signature of the result valid and
// trusted.
func (h *Hook) CompleteLeader(ctx context.Context, p *docs.PreparedLeader, value []byte, out io.Writer) error {
	var st preparedState
	if err := json.Unmarshal(p.State, &st); err != nil {
		return fmt.Errorf("docsign: unable to read the prepared signature: %w", err)
	}
	prepared, err := signing.RestorePrepared(p.PDF, st.ByteRange, st.SignedAttributes, st.Certificate, st.Chain, st.At)
	if err != nil {
		return fmt.Errorf("docsign: unable to restore the prepared signature: %w", err)
	}
	if !bytes.Equal(prepared.Digest, p.Digest) {
		return fmt.Errorf("docsign: the prepared signature's state does not give its digest")
	}
	trust, err := h.trust()
	if err != nil {
		return err
	}
	var signed bytes.Buffer
	if err := (&signing.Signer{}).Complete(prepared, value, &signed); err != nil {
		return signingError(err)
	}
	check, err := Verifier{Trust: trust}.VerifyPDF(ctx, bytes.NewReader(signed.Bytes()), int64(signed.Len()))
	if err != nil {
		return fmt.Errorf("docsign: unable to verify the completed signature: %w", err)
	}
	if check.Status != docs.SignatureValid {
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chữ ký số vừa tạo không hợp lệ (" + check.Summary + "); văn bản không thay đổi.",
			Detail: "the completed signature does not verify: " + check.Summary}
	}
	_, err = signed.WriteTo(out)
	return err
}

// CheckPersonalKey checks key's certificate against the person and the node's
// current trust anchors and revocation checks.
func (h *Hook) CheckPersonalKey(_ context.Context, key docs.PersonalKey, who docs.Person, at time.Time) error {
	trust, err := h.trust()
	if err != nil {
		return err
	}
	err = signing.CheckPersonCertificate(key.Certificate, key.Chain, signing.PersonClaim{FullName: who.FullName, Identifier: who.Identifier}, trust, at)
	if errors.Is(err, signing.ErrCertificateOtherPerson) {
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chứng thư số này không phải của " + who.FullName + ".", Detail: err.Error()}
	}
	if err != nil {
		return signingError(err)
	}
	return nil
}

// trust is the node's current trust store; without one nothing personal is trusted.
func (h *Hook) trust() (*signing.TrustStore, error) {
	if h.Trust == nil || h.Trust() == nil {
		return nil, errors.New("docsign: no trust store to check personal certificates against")
	}
	return h.Trust(), nil
}
