// Package pdfread resolves the objects of a PDF file the way viewers do, so that
// the signature verifier compares exactly what a person sees.
//
// Open reads the revision that ends at the end of the input: give it an
// io.SectionReader cut at a revision's end to get that revision's view, which is
// what a viewer (or qpdf) shows for the file truncated there. It understands
// classic cross-reference tables (several subsections, free entries, generation
// numbers), cross-reference streams (/W, /Index, PNG predictors), hybrid files
// (/XRefStm, looked up after the table of the same section and before /Prev),
// object streams and /Prev chains. As in qpdf, the newest entry of an object
// wins and a free entry hides every older one.
//
// A table that does not lead to the objects it lists (no startxref, a section
// that is not there, an object that is not at its offset) is rebuilt by scanning
// the file for "N G obj", as viewers do; Reader.Repaired and Reader.Warnings say
// so, and the caller decides what that means.
//
// Why not github.com/pdfcpu/pdfcpu (v0.15.0, served here): it resolves only the
// latest revision, so every revision would be a separate read of a truncated
// copy, and its read alone (api.ReadContext, relaxed validation) took 330–670 ms
// for the 10 MB two-signature benchmark file on the loaded test machine, more
// than pdfsig's whole run; this reader reads only cross-reference data, object
// headers and the objects asked for.
//
// Values are plain Go values: nil (null), bool, int64, float64, String, Name,
// Array, Dict, Ref and *Stream. Every loop is bounded (nesting depth, /Prev
// cycles, reference chains, decoded stream size), so hostile input ends in an
// error, never a hang or a panic.
package pdfread
