// Package signing signs PDF documents the way Nghị định 30/2020 asks and verifies
// the signatures a clerk receives. Signing uses github.com/digitorus/pdfsign (the
// pinned version), wrapped so that its known pitfalls cannot produce a broken file;
// verification is the package's own and does what pdfsign does not.
//
// Design notes are completed in the files that implement them; this comment is the
// map (see the end of the file for the full description once verification lands).
package signing
