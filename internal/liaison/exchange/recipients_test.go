package exchange

import (
	"slices"
	"testing"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// TestRecipientsOf checks whom a package is addressed to on one request, and the
// addressing the reader lets through but the protocol refuses.
func TestRecipientsOf(t *testing.T) {
	document := func(to ...string) *liaison.Package {
		h := &liaison.MessageHeader{}
		for _, o := range to {
			h.To = append(h.To, liaison.Organization{OrganID: o})
		}
		return &liaison.Package{Kind: liaison.KindDocument, Header: h}
	}
	status := func(code string) *liaison.Package {
		return &liaison.Package{Kind: liaison.KindStatus, Status: &liaison.Status{StatusCode: code,
			ResponseFor: liaison.ResponseFor{OrganID: localOrganID}}}
	}
	cases := []struct {
		name      string
		pkg       *liaison.Package
		transport string
		want      []string
		code      string
	}{
		{"every To", document(localOrganID, otherOrganID), "", []string{localOrganID, otherOrganID}, ""},
		{"the transport recipient", document(localOrganID, otherOrganID), otherOrganID, []string{otherOrganID}, ""},
		{"transport recipient not among To", document(localOrganID), otherOrganID, nil, wire.CodeWrongRecipient},
		{"one OrganId twice in To", document(localOrganID, localOrganID), "", nil, wire.CodeInvalid},
		{"status to whom it is about", status("03"), "", nil, ""},
		{"status to the transport recipient", status("03"), localOrganID, []string{localOrganID}, ""},
		{"recall to the transport recipient", status("13"), otherOrganID, []string{otherOrganID}, ""},
		{"status outside the catalogue", status("07"), "", nil, wire.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ref := recipientsOf(c.pkg, c.transport)
			switch {
			case c.code != "" && (ref == nil || ref.Code != c.code):
				t.Fatalf("got %v %v, want %s", got, ref, c.code)
			case c.code == "" && (ref != nil || !slices.Equal(got, c.want)):
				t.Fatalf("got %v %v, want %v", got, ref, c.want)
			}
		})
	}
}
