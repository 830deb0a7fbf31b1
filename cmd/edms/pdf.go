package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"edms/internal/signing"
)

// pdfSubcommands are the verbs of `edms pdf`.
var pdfSubcommands = []struct {
	name, summary string
	run           func(args []string) error
}{
	{"sign", "add a signature: person (with handwritten image), seal, or no-image stamp", runPDFSign},
	{"stamp", "write the number and date of issue on a signed PDF (permitted change)", runPDFStamp},
	{"verify", "verify every signature against a trust-store folder", runPDFVerify},
}

func runPDF(_ context.Context, args []string) error {
	if len(args) > 0 {
		for _, sub := range pdfSubcommands {
			if sub.name == args[0] {
				return sub.run(args[1:])
			}
		}
	}
	fmt.Fprintln(os.Stderr, "Usage: edms pdf <sign|stamp|verify> [flags]\n\nSubcommands:")
	for _, sub := range pdfSubcommands {
		fmt.Fprintf(os.Stderr, "  %-7s %s\n", sub.name, sub.summary)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return flag.ErrHelp
	}
	return errUsage
}

// rectFlag parses "llx,lly,urx,ury" in points.
type rectFlag struct{ r signing.Rect }

func (f *rectFlag) String() string {
	return fmt.Sprintf("%g,%g,%g,%g", f.r.LLX, f.r.LLY, f.r.URX, f.r.URY)
}

func (f *rectFlag) Set(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return errors.New("want llx,lly,urx,ury in points")
	}
	var v [4]float64
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return err
		}
		v[i] = n
	}
	f.r = signing.Rect{LLX: v[0], LLY: v[1], URX: v[2], URY: v[3]}
	return nil
}

// revocationFlag sets a signing.RevocationMode from auto, embedded or off.
type revocationFlag struct{ mode *signing.RevocationMode }

func (f revocationFlag) String() string {
	if f.mode == nil {
		return signing.RevocationAuto.String()
	}
	return f.mode.String()
}

func (f revocationFlag) Set(s string) (err error) {
	*f.mode, err = signing.ParseRevocationMode(s)
	return err
}

const revocationUsage = "revocation check of the signers' certificates: auto (data embedded in the file, else OCSP/CRL over the network),\nembedded (offline: embedded data only; a certificate with a revocation service but no embedded data is 'unknown'), off"

type pdfSignFlags struct {
	in, out, kind                     string
	key, passwordEnv, pkcs11, chain   string
	tsa, location                     string
	ltv                               bool
	name, position, image, reason     string
	agency, sealImage, number, copyOf string
	page                              int
	diameter                          float64
	rect                              rectFlag
}

func runPDFSign(args []string) error {
	fs := newFlagSet("pdf sign", "-in IN.pdf -out OUT.pdf (-key FILE.p12 | -pkcs11 URI) -kind person|seal|stamp [flags]",
		"Sign a PDF as Nghị định 30 asks. person: the competent person's signature with the blue\n"+
			"handwritten image, position, name and time in the block -rect. seal: the agency's red seal at\n"+
			"real size over the left third of the person's signature image. stamp: the agency's no-image\n"+
			"signature at the top right of page 1 (attachments: -number, copies: -copy-form).\n"+
			"The PKCS#12 password is read from the environment variable named by -password-env.")
	var f pdfSignFlags
	fs.StringVar(&f.in, "in", "", "input PDF")
	fs.StringVar(&f.out, "out", "", "output PDF (written via a temporary file)")
	fs.StringVar(&f.kind, "kind", "person", "person, seal or stamp")
	fs.StringVar(&f.key, "key", "", "PKCS#12 key file")
	fs.StringVar(&f.passwordEnv, "password-env", "EDMS_PKCS12_PASSWORD", "environment variable holding the PKCS#12 password")
	fs.StringVar(&f.pkcs11, "pkcs11", "", "PKCS#11 URI of the key, e.g. pkcs11:token=T;object=K?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin")
	fs.StringVar(&f.chain, "chain", "", "PEM file of issuer certificates to embed (for token keys)")
	fs.StringVar(&f.tsa, "tsa", "", "RFC 3161 timestamp authority URL")
	fs.StringVar(&f.location, "location", "", "place of signing")
	fs.BoolVar(&f.ltv, "ltv", false, "PAdES B-LT: embed the chain and its OCSP responses or CRLs in a /DSS after signing")
	fs.StringVar(&f.name, "name", "", "person: full name")
	fs.StringVar(&f.position, "position", "", `person: position, "\n" separates lines`)
	fs.StringVar(&f.image, "image", "", "person: PNG of the handwritten signature (default: generated)")
	fs.StringVar(&f.reason, "reason", "", "person: reason written in the signature")
	fs.StringVar(&f.agency, "agency", "", "seal/stamp: agency name")
	fs.StringVar(&f.sealImage, "seal-image", "", "seal: PNG of the seal (default: generated)")
	fs.Float64Var(&f.diameter, "seal-mm", signing.DefaultSealDiameterMM, "seal: real diameter in millimetres")
	fs.StringVar(&f.number, "number", "", "stamp: number and symbol of the document the attachment belongs to")
	fs.StringVar(&f.copyOf, "copy-form", "", "stamp: copy form of an electronic copy (Sao y, Sao lục, Trích sao)")
	fs.IntVar(&f.page, "page", 0, "page (default: last page; stamps always go on page 1)")
	fs.Var(&f.rect, "rect", "person: signature block llx,lly,urx,ury in points; seal: the person's block (default: found)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.in == "" || f.out == "" || (f.key == "") == (f.pkcs11 == "") {
		fs.Usage()
		return errUsage
	}
	id, err := pdfIdentity(f)
	if err != nil {
		return err
	}
	defer id.Close()
	doc, file, err := signing.OpenFile(f.in)
	if err != nil {
		return err
	}
	defer file.Close()
	s := &signing.Signer{Identity: id, TSAURL: f.tsa, Location: f.location}
	if f.ltv {
		s.Revocation = signing.NewRevocationChecker(signing.RevocationAuto)
	}
	return signing.WriteFile(f.out, func(w io.Writer) error { return pdfApply(s, doc, w, f) })
}

func pdfIdentity(f pdfSignFlags) (*signing.Identity, error) {
	if f.key != "" {
		return signing.LoadPKCS12(f.key, os.Getenv(f.passwordEnv))
	}
	cfg, err := signing.ParseTokenURI(f.pkcs11)
	if err != nil {
		return nil, err
	}
	id, err := signing.OpenToken(cfg)
	if err != nil || f.chain == "" {
		return id, err
	}
	chain, err := signing.ReadCertificates(f.chain)
	if err != nil {
		id.Close()
		return nil, err
	}
	id.Chain = append(id.Chain, chain...)
	return id, nil
}

func pdfApply(s *signing.Signer, doc signing.Document, w io.Writer, f pdfSignFlags) error {
	switch f.kind {
	case "person":
		img, err := readOptional(f.image)
		if err != nil {
			return err
		}
		block := signing.PersonBlock{Position: strings.ReplaceAll(f.position, `\n`, "\n"), FullName: f.name, Signature: img}
		return s.SignPerson(doc, w, signing.PersonSignature{PersonBlock: block, Page: f.page, Rect: f.rect.r, Reason: f.reason})
	case "seal":
		img, err := readOptional(f.sealImage)
		if err != nil {
			return err
		}
		return s.ApplySeal(doc, w, signing.Seal{AgencyName: f.agency, Image: img, DiameterMM: f.diameter, Page: f.page, SignerBlock: f.rect.r})
	case "stamp":
		if (f.number == "") == (f.copyOf == "") {
			return errors.New("a stamp needs either -number (attachment) or -copy-form (electronic copy)")
		}
		st := signing.AttachmentStamp(f.agency, f.number)
		if f.copyOf != "" {
			st = signing.CopyStamp(f.copyOf, f.agency)
		}
		return s.ApplyStamp(doc, w, st)
	}
	return fmt.Errorf("unknown -kind %q (person, seal or stamp)", f.kind)
}

func readOptional(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return os.ReadFile(path)
}

func runPDFStamp(args []string) error {
	fs := newFlagSet("pdf stamp", "-in IN.pdf -out OUT.pdf -number 12/QĐ-UBND -place PLACE -number-rect R -date-rect R",
		"Write the number and date of issue into the areas the document reserves for them, as an\n"+
			"incremental update that keeps the leader's signature valid (edms pdf verify recognises it).")
	in := fs.String("in", "", "input PDF")
	out := fs.String("out", "", "output PDF")
	number := fs.String("number", "", "number and symbol, e.g. 12/QĐ-UBND")
	place := fs.String("place", "", "place name written before the date")
	date := fs.String("date", "", "date of issue YYYY-MM-DD (default: today in Vietnam)")
	page := fs.Int("page", 1, "page")
	var numberRect, dateRect rectFlag
	fs.Var(&numberRect, "number-rect", "area for the number, llx,lly,urx,ury in points")
	fs.Var(&dateRect, "date-rect", "area for the place and date, llx,lly,urx,ury in points")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" || *number == "" {
		fs.Usage()
		return errUsage
	}
	issued := time.Now()
	if *date != "" {
		var err error
		if issued, err = time.ParseInLocation("2006-01-02", *date, signing.VietnamZone); err != nil {
			return fmt.Errorf("-date: %w", err)
		}
	}
	st := signing.NumberAndDate(*number, numberRect.r, *place, issued, dateRect.r)
	st.Page = *page
	doc, file, err := signing.OpenFile(*in)
	if err != nil {
		return err
	}
	defer file.Close()
	return signing.WriteFile(*out, func(w io.Writer) error { return signing.AddIssueStamp(doc, w, st) })
}

func runPDFVerify(args []string) error {
	fs := newFlagSet("pdf verify", "-trust DIR [--json] FILE.pdf",
		"Verify every signature of a PDF (found through its signature fields): CMS signature and digest,\n"+
			"chain to the trust anchors in DIR (PEM/DER files), validity at signing time, key usage, revocation\n"+
			"(-revocation), document timestamps, and what changed after each signature. Exit status 0 only\n"+
			"when all signatures are valid and trusted; an unknown revocation status is not.")
	trustDir := fs.String("trust", os.Getenv("EDMS_TRUST_DIR"), "trust-store folder (default $EDMS_TRUST_DIR)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	revocation := signing.RevocationAuto
	fs.Var(revocationFlag{&revocation}, "revocation", revocationUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *trustDir == "" {
		fs.Usage()
		return errUsage
	}
	trust, err := signing.LoadTrustStore(*trustDir)
	if err != nil {
		return err
	}
	for _, skipped := range trust.Skipped() {
		slog.Warn("trust anchor skipped", "problem", skipped)
	}
	trust.Revocation = signing.NewRevocationChecker(revocation)
	doc, file, err := signing.OpenFile(fs.Arg(0))
	if err != nil {
		return err
	}
	defer file.Close()
	rep, err := signing.Verify(doc, trust)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		signing.WriteSummary(os.Stdout, rep)
	}
	if !rep.Valid() {
		return errors.New("the document is not valid: see the report")
	}
	return nil
}
