package signing

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteSummary prints a report for a person: one paragraph per signature.
func WriteSummary(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "%d bytes, %d revisions, %d signatures\n", rep.Size, rep.Revisions, len(rep.Signatures))
	for _, s := range rep.IssueStamps {
		fmt.Fprintf(w, "issue stamp: %s\n", strings.ReplaceAll(s, "\n", " / "))
	}
	for i, s := range rep.Signatures {
		fmt.Fprintf(w, "\nSignature %d (field %q): %s\n", i+1, s.Field, verdict(s))
		fmt.Fprintf(w, "  signer:    %s (issued by %s)\n", s.Signer, s.Issuer)
		fmt.Fprintf(w, "  time:      %s, from %s\n", s.SigningTime.In(VietnamZone).Format(time.RFC3339), s.TimeSource)
		fmt.Fprintf(w, "  format:    %s\n", format(s))
		fmt.Fprintf(w, "  checks:    digest %s, CMS %s, chain %s, valid at signing time %s, key usage %s\n",
			yes(s.DigestOK), yes(s.SignatureOK), yes(s.Trusted), yes(s.ValidAtSignTime), yes(s.KeyUsageOK))
		coverage := "the whole document"
		if !s.CoversWholeDocument {
			coverage = "up to the end of that revision"
		}
		fmt.Fprintf(w, "  covers:    revision %d of %d, %s\n", s.Revision, rep.Revisions, coverage)
		if s.Certification != 0 {
			fmt.Fprintf(w, "  certifies: DocMDP /P %d\n", s.Certification)
		}
		for _, st := range s.Revocation {
			fmt.Fprintf(w, "  revocation: %s: %s\n", st.Subject, describeStatus(st))
		}
		for _, c := range s.LaterChanges {
			fmt.Fprintf(w, "  permitted later change: %s\n", c)
		}
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  PROBLEM: %s\n", p)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warning)
	}
	if rep.Valid() {
		fmt.Fprintln(w, "\nRESULT: all signatures valid and trusted")
	} else {
		fmt.Fprintln(w, "\nRESULT: NOT VALID")
	}
}

func verdict(s SignatureReport) string {
	switch {
	case s.Valid():
		return "VALID"
	case s.ModifiedAfterSigning:
		return "MODIFIED AFTER SIGNING"
	}
	return "INVALID"
}

func format(s SignatureReport) string {
	if s.PAdES {
		return s.SubFilter + " with signing-certificate-v2 (PAdES)"
	}
	return s.SubFilter
}

func yes(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func describeStatus(st CertificateStatus) string {
	out := st.Status
	if !st.RevokedAt.IsZero() {
		out += " on " + st.RevokedAt.In(VietnamZone).Format(time.RFC3339)
	}
	if st.Source != "" {
		out += " (" + st.Source + ")"
	}
	if st.Detail != "" {
		out += ": " + st.Detail
	}
	return out
}
