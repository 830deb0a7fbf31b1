// Package liaison reads, validates, writes, signs and verifies edXML packages of
// QCVN 102:2016, the format in which agencies exchange documents and status
// messages over the national interconnection axis and the provincial platforms.
//
// # Model
//
// Package is the typed model: a document package (MessageHeader, TraceHeaderList
// with Bussiness, manifest, attachments) or a status package (StatusCode answering a
// document). The writer (Write, BuildSpec.Build) produces exactly the structure of the
// reference library's samples: default namespace on edXML, prefix edXML on the
// envelope, the reference element order, yyyy/MM/dd dates, cid: content ids. The
// reader (Read) is namespace-aware and order-insensitive and accepts what real
// producers write differently (a byte-order mark, no cid:, xlink references,
// dd/MM/yyyy dates, over-long fields up to a hard bound, no Bussiness, an
// edXML:Status wrapper, DigitalSignature elements, the reference library's
// placeholder Signature), reporting each leniency as a warning.
// schemas/edxml.xsd describes the writer's output, which keeps to the standard.
//
// # Attachments
//
// Producers disagree on content types, so the reader trusts, among the types the
// attachment, the manifest and the name declare, the one the bytes match (Declared
// keeps what was said), and refuses only executables, program names and empty
// files. Attachments that are zip archives (by convention or mislabelled) are
// unpacked after the stream, from a sink that can reopen what it stored
// (ReopeningSink, e.g. DirSink), into further attachments with FromArchive set,
// within Limits on files, bytes, expansion ratio and nesting; paths that climb out,
// links and encrypted entries are refused. The writer zips files of other types, as
// the reference library does.
//
// # One streaming pass
//
// Packages carry tens of MB of base64, so Read never holds an attachment: it makes a
// single pass over the input in which
//
//   - encoding/xml tokenises the markup (RawToken; prefixes are resolved here), fed
//     one byte at a time by a ByteReader so that it never reads ahead;
//   - everything but attachment payloads becomes a beevik/etree DOM, from which the
//     typed header is decoded (the DOM is small: a few KB per package);
//   - when the start tag of AttachmentEncoded/Attachment/ContentTransferEncoded has
//     been read, the next input byte is the first byte of its base64 text, which is
//     pumped in large chunks, bypassing the tokenizer, into a streaming base64
//     decoder and on to the caller's AttachmentSink (a directory, the documents
//     blob store), measuring size, SHA-256 and the leading bytes for the content
//     type check on the way;
//   - every token and every payload byte is also fed, in document order, to a
//     streaming Exclusive XML Canonicalization whose output is hashed with SHA-256.
//
// Scanning and decoding run on the reading goroutine while the digest and the
// decoded bytes' hashing and storage run on two others (asyncWriter). DOCTYPE and
// entity declarations are refused outright (no XXE, no entity expansion); size,
// depth and attachment-count Limits are enforced while streaming. Any error makes
// Read call the sink's Discard, so a refused package leaves nothing stored.
//
// # Signatures
//
// Sign writes an enveloped XML-DSig signature over the whole document (Reference
// URI="", transforms enveloped-signature then exclusive c14n, SHA-256, RSA-SHA256 or
// ECDSA-SHA256, KeyInfo with the certificate chain) as the last child of edXMLHeader.
// It reads the unsigned package twice: once to validate it and compute the digest,
// streaming, once to copy it with the Signature inserted; nothing else changes.
// The identity is any crypto.Signer with its chain, so keys from files, PKCS#12 or
// PKCS#11 tokens all work.
//
// Because the streaming canonicalizer reproduces the standard algorithm exactly
// (tests compare it with xmllint --exc-c14n on every shared sample), the digest
// covers every byte of every attachment and xmlsec1 --verify accepts our packages
// as they are; no per-attachment manifest digests are needed. Verification happens
// in the same pass as reading: the SignedInfo is canonicalised from the very tokens
// that built the DOM, and the model is decoded from that same DOM, so what the
// caller uses is exactly what was digested. Against signature wrapping only one
// shape is accepted: a single XML-DSig Signature, child of edXMLHeader, with a
// single Reference URI="" and those exact transforms; anything else (a second or
// moved Signature, other references) is refused. Comments are outside the canonical
// form, so element values are always the concatenation of all their text, never the
// text before a comment. The signer certificate is chained to the configured trust
// anchors with crypto/x509 (intermediates from KeyInfo). A Signature outside the
// XML-DSig namespace (the reference library's placeholder) means "unsigned".
// Older software's SHA-1 digests and RSA-SHA1 are verified too (the document is
// hashed with SHA-1 as well until edXMLHeader ends, only if the signature asks) and
// reported as Weak. WritePlaceholderSignature writes the placeholder, for peers
// that cannot read XML-DSig; the package is then unsigned.
//
// # Mapping
//
// Subpackage docmap maps packages to and from the documents model (internal/docs):
// issuing agency, number and symbol, type by TypeName, signer, recipients, due date,
// urgency and files, with DocumentId built as {OrganId},{yyyy/MM/dd},{number}/{symbol}.
// It is a separate package so that this one does not depend on the documents service.
package liaison
