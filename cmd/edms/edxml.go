package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/liaison"
	"edms/internal/org"
)

// edxmlSubcommands are the verbs of `edms edxml`.
var edxmlSubcommands = []struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}{
	{"inspect", "print a readable summary of a package", runEdxmlInspect},
	{"validate", "check packages against the edXML rules", runEdxmlValidate},
	{"build", "build a package from flags or a JSON description plus files", runEdxmlBuild},
	{"sign", "add an enveloped XML-DSig signature", runEdxmlSign},
	{"verify", "verify a package's signature against trust anchors", runEdxmlVerify},
	{"peer", "show or set whether an agency needs the placeholder signature", runEdxmlPeer},
}

func runEdxml(ctx context.Context, args []string) error {
	if len(args) > 0 {
		for _, sub := range edxmlSubcommands {
			if sub.name == args[0] {
				return sub.run(ctx, args[1:])
			}
		}
	}
	fmt.Fprintln(os.Stderr, "Usage: edms edxml <inspect|validate|build|sign|verify|peer> [flags] FILE\n\nSubcommands:")
	for _, sub := range edxmlSubcommands {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", sub.name, sub.summary)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return flag.ErrHelp
	}
	return errUsage
}

// edxmlLimitFlags adds the reader limits to fs.
func edxmlLimitFlags(fs *flag.FlagSet) *liaison.Limits {
	l := liaison.DefaultLimits()
	fs.Int64Var(&l.MaxPackageBytes, "max-size", l.MaxPackageBytes, "largest package accepted, bytes")
	fs.Int64Var(&l.MaxHeaderBytes, "max-header", l.MaxHeaderBytes, "largest markup outside attachment payloads, bytes")
	fs.IntVar(&l.MaxDepth, "max-depth", l.MaxDepth, "deepest element nesting accepted")
	fs.IntVar(&l.MaxAttachments, "max-attachments", l.MaxAttachments, "most attachments accepted")
	fs.Int64Var(&l.MaxAttachmentBytes, "max-attachment", l.MaxAttachmentBytes, "largest decoded attachment accepted, bytes")
	return &l
}

func edxmlOneFile(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return fs.Arg(0), nil
}

// edxmlRead reads a package. Without a sink of the caller's, attachments are kept
// in a temporary folder while reading, so that zipped ones are unpacked and checked
// too; the folder is removed afterwards.
func edxmlRead(path string, opts liaison.Options) (*liaison.Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opts.Sink == nil {
		dir, err := os.MkdirTemp("", "edms-edxml-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		opts.Sink = liaison.NewDirSink(dir)
	}
	return liaison.Read(f, opts)
}

func edxmlRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return liaison.PEMCertPool(data)
}

func runEdxmlInspect(_ context.Context, args []string) error {
	fs := newFlagSet("edxml inspect", "[flags] FILE", "Print sender, recipients, number, subject, trace, business type, attachments\n(sizes, SHA-256), signature status and warnings of an edXML package.")
	ca := fs.String("ca", "", "PEM file of trust anchors, to check the signer")
	limits := edxmlLimitFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := edxmlOneFile(fs)
	if err != nil {
		return err
	}
	roots, err := edxmlRoots(*ca)
	if err != nil {
		return err
	}
	pkg, err := edxmlRead(path, liaison.Options{Limits: *limits, Roots: roots})
	if pkg != nil {
		liaison.WriteSummary(os.Stdout, pkg)
	}
	return err
}

func runEdxmlValidate(_ context.Context, args []string) error {
	fs := newFlagSet("edxml validate", "[flags] FILE...", "Check packages: well-formedness, limits, mandatory fields, lengths, dates,\nidentifiers, recipients, manifest against attachments, content types, status\ncodes, business types. Prints warnings; fails when a package is invalid.")
	limits := edxmlLimitFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	failed := 0
	for _, path := range fs.Args() {
		pkg, err := edxmlRead(path, liaison.Options{Limits: *limits})
		if pkg != nil {
			for _, w := range pkg.Warnings {
				fmt.Printf("%s: %s\n", path, w)
			}
		}
		if err != nil {
			fmt.Printf("%s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Printf("%s: valid %s package\n", path, pkg.Kind)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d packages invalid", failed, fs.NArg())
	}
	return nil
}

func runEdxmlVerify(_ context.Context, args []string) error {
	fs := newFlagSet("edxml verify", "-ca ROOTS.pem [flags] FILE", "Verify the enveloped XML-DSig signature of a package (digest over the whole\ndocument, signature value, certificate chain to the trust anchors) and\nvalidate it. With -extract, store the attachments in a directory.")
	ca := fs.String("ca", "", "PEM file of trust anchors (required)")
	extract := fs.String("extract", "", "directory to store the attachments into (only if everything verifies)")
	limits := edxmlLimitFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := edxmlOneFile(fs)
	if err != nil {
		return err
	}
	if *ca == "" {
		fs.Usage()
		return errUsage
	}
	roots, err := edxmlRoots(*ca)
	if err != nil {
		return err
	}
	opts := liaison.Options{Limits: *limits, Roots: roots, RequireSignature: true}
	var sink *liaison.DirSink
	if *extract != "" {
		sink = liaison.NewDirSink(*extract)
		opts.Sink = sink
	}
	pkg, err := edxmlRead(path, opts)
	if err != nil {
		return err
	}
	signer := pkg.Signature.Chain[0]
	fmt.Printf("%s: signature verified: %s (issued by %s)\n", path, signer.Subject, signer.Issuer)
	if sink != nil {
		files, err := sink.Commit(pkg.Attachments)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Println("extracted", f)
		}
	}
	return nil
}

func runEdxmlSign(_ context.Context, args []string) error {
	fs := newFlagSet("edxml sign", "-key KEY.pem -cert CHAIN.pem -o OUT FILE | -placeholder -o OUT FILE", "Validate an unsigned package and write it with an enveloped XML-DSig signature\n(exclusive c14n, SHA-256, RSA or ECDSA) that xmlsec1 --verify accepts. With\n-placeholder, write the reference library's placeholder Signature instead, for a\npeer that cannot read XML-DSig: the package then travels UNSIGNED.")
	key := fs.String("key", "", "PEM private key (PKCS#8, PKCS#1 or SEC 1)")
	cert := fs.String("cert", "", "PEM certificate chain, signer first")
	out := fs.String("o", "", "signed package to write")
	placeholder := fs.Bool("placeholder", false, "write the placeholder Signature (unsigned) instead of signing")
	limits := edxmlLimitFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := edxmlOneFile(fs)
	if err != nil {
		return err
	}
	if *placeholder && *out != "" && *key == "" && *cert == "" {
		return edxmlPlaceholderFile(path, *out, *limits)
	}
	if *key == "" || *cert == "" || *out == "" || *placeholder {
		fs.Usage()
		return errUsage
	}
	id, err := edxmlIdentity(*key, *cert)
	if err != nil {
		return err
	}
	return edxmlSignFile(path, *out, id, *limits)
}

func edxmlIdentity(keyPath, certPath string) (liaison.Identity, error) {
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return liaison.Identity{}, err
	}
	chainPEM, err := os.ReadFile(certPath)
	if err != nil {
		return liaison.Identity{}, err
	}
	return liaison.PEMIdentity(keyPEM, chainPEM)
}

func edxmlSignFile(in, out string, id liaison.Identity, limits liaison.Limits) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	return edxmlWriteAtomically(out, func(w io.Writer) error { return liaison.Sign(w, src, id, limits) })
}

// edxmlPlaceholderFile writes the placeholder variant and says that it is unsigned.
func edxmlPlaceholderFile(in, out string, limits liaison.Limits) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	err = edxmlWriteAtomically(out, func(w io.Writer) error { return liaison.WritePlaceholderSignature(w, src, limits) })
	if err == nil {
		fmt.Printf("%s: NOT signed: it carries the reference library's placeholder Signature, for a peer that cannot read XML-DSig\n", out)
	}
	return err
}

func runEdxmlPeer(ctx context.Context, args []string) error {
	fs := newFlagSet("edxml peer", "[-placeholder-signature=true|false] ORGANID", "Show, or set in the agency directory, whether packages for an agency carry the\nreference library's placeholder Signature (unsigned) because its software cannot\nread a namespaced XML-DSig signature. Signed packages are the default.")
	set := fs.String("placeholder-signature", "", "true or false: set the agency's choice")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		organID, err := edxmlOneFile(fs)
		if err != nil {
			return err
		}
		if *set != "" {
			placeholder, err := strconv.ParseBool(*set)
			if err != nil {
				return fmt.Errorf("-placeholder-signature: %q is neither true nor false", *set)
			}
			if err := org.SetEdxmlPlaceholderSignature(ctx, pool, organID, placeholder); err != nil {
				return err
			}
		}
		peers, err := org.EdxmlPlaceholderPeers(ctx, pool, []string{organID})
		if err != nil {
			return err
		}
		if peers[organID] {
			fmt.Printf("%s: placeholder Signature: packages for it travel UNSIGNED\n", organID)
		} else {
			fmt.Printf("%s: XML-DSig: packages for it are signed\n", organID)
		}
		return nil
	})
}

// edxmlWriteAtomically writes path through a temporary file renamed on success, so
// that a failure leaves no partial output.
func edxmlWriteAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// edxmlStrings is a repeatable string flag.
type edxmlStrings []string

func (s *edxmlStrings) String() string     { return strings.Join(*s, ",") }
func (s *edxmlStrings) Set(v string) error { *s = append(*s, v); return nil }

func runEdxmlBuild(_ context.Context, args []string) error {
	fs := newFlagSet("edxml build", "[-json DESC.json] [flags] -o OUT", "Build a document package from a JSON description (liaison.BuildSpec: the Package\nfields and Files) and/or flags, which override it; attach each -file. With -key\nand -cert the package is signed as well.")
	spec := liaison.BuildSpec{}
	desc := fs.String("json", "", "JSON description of the package")
	out := fs.String("o", "", "package to write")
	key := fs.String("key", "", "PEM private key, to sign the package")
	cert := fs.String("cert", "", "PEM certificate chain, signer first")
	var to, files edxmlStrings
	fs.Var(&to, "to", "recipient OrganId (repeatable)")
	fs.Var(&files, "file", "file to attach (repeatable)")
	from := fs.String("from", "", "sender OrganId")
	fromName := fs.String("from-name", "", "sender name")
	number := fs.String("number", "", "document number (CodeNumber)")
	notation := fs.String("notation", "", "document symbol (CodeNotation), e.g. QĐ-UBND")
	date := fs.String("date", "", "promulgation date yyyy/MM/dd")
	place := fs.String("place", "", "promulgation place")
	typeName := fs.String("type", "", "document type name, e.g. \"Quyết định\"")
	subject := fs.String("subject", "", "subject (trích yếu)")
	signer := fs.String("signer", "", "signer full name")
	position := fs.String("position", "", "signer position")
	competence := fs.String("competence", "", "signing authority, e.g. \"KT. CHỦ TỊCH\"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 || (*key == "") != (*cert == "") {
		fs.Usage()
		return errUsage
	}
	if *desc != "" {
		if err := edxmlLoadSpec(*desc, &spec); err != nil {
			return err
		}
	}
	if spec.Header == nil && spec.Status == nil {
		spec.Header = &liaison.MessageHeader{}
	}
	if h := spec.Header; h != nil {
		setIf(&h.From.OrganID, *from)
		setIf(&h.From.OrganName, *fromName)
		setIf(&h.Code.Number, *number)
		setIf(&h.Code.Notation, *notation)
		setIf(&h.Place, *place)
		setIf(&h.DocumentType.TypeName, *typeName)
		setIf(&h.Subject, *subject)
		setIf(&h.Signer.FullName, *signer)
		setIf(&h.Signer.Position, *position)
		setIf(&h.Signer.Competence, *competence)
		if *date != "" {
			d, err := liaison.ParseDate(*date)
			if err != nil {
				return err
			}
			h.PromulgationDate = d
		}
		for _, id := range to {
			h.To = append(h.To, liaison.Organization{OrganID: id})
		}
	}
	for _, f := range files {
		spec.Files = append(spec.Files, liaison.FileSpec{Path: f})
	}
	return edxmlBuildFile(spec, *out, *key, *cert)
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func edxmlLoadSpec(path string, spec *liaison.BuildSpec) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, f := range spec.Files { // file paths are relative to the description
		if !filepath.IsAbs(f.Path) {
			spec.Files[i].Path = filepath.Join(filepath.Dir(path), f.Path)
		}
	}
	return nil
}

func edxmlBuildFile(spec liaison.BuildSpec, out, key, cert string) error {
	build := func(w io.Writer) error { return spec.Build(w, time.Now()) }
	if key == "" {
		return edxmlWriteAtomically(out, build)
	}
	id, err := edxmlIdentity(key, cert)
	if err != nil {
		return err
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(out), ".edxml-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	unsigned := filepath.Join(tmpDir, "unsigned.edxml")
	if err := edxmlWriteAtomically(unsigned, build); err != nil {
		return err
	}
	return edxmlSignFile(unsigned, out, id, liaison.DefaultLimits())
}
