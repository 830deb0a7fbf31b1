package liaison

import (
	"fmt"
	"strings"
)

// Severity grades an Issue.
type Severity int

// Severities.
const (
	Warning Severity = iota + 1
	Violation
)

func (s Severity) String() string {
	if s == Violation {
		return "error"
	}
	return "warning"
}

// Rules named in issues and errors.
const (
	RuleXML         = "well-formed-xml"
	RuleNamespace   = "namespace"
	RuleNoDTD       = "no-dtd"
	RuleLimit       = "limit"
	RuleBase64      = "base64"
	RuleStructure   = "structure"
	RuleMandatory   = "mandatory"
	RuleMaxLength   = "max-length"
	RuleDateFormat  = "date-format"
	RuleDate        = "date-plausible"
	RuleInteger     = "integer"
	RuleOrganID     = "organ-id-format"
	RuleDuplicate   = "duplicate-recipient"
	RuleDocumentID  = "document-id-convention"
	RuleManifest    = "manifest-attachment"
	RuleContentType = "content-type"
	RuleStatusCode  = "status-code"
	RuleBusiness    = "business-type"
	RuleSignature   = "signature"
	RuleLenient     = "lenient-read"
	RuleUnknown     = "unknown-element"
	RuleStorage     = "storage"
	RulePriority    = "priority"
	RuleArchive     = "zip-archive"
)

// Issue is one finding about a package, located by its element path.
type Issue struct {
	Severity Severity
	Path     string // e.g. /edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId
	Rule     string
	Message  string
}

func (i Issue) String() string {
	return fmt.Sprintf("%s: %s [%s]: %s", i.Severity, i.Path, i.Rule, i.Message)
}

// Error is a located error that stops reading a package.
type Error struct {
	Path string
	Line int // 0 when unknown
	Rule string
	Err  error
}

func (e *Error) Error() string {
	loc := e.Path
	if loc == "" {
		loc = "(document)"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s (line %d)", loc, e.Line)
	}
	return fmt.Sprintf("edxml: %s [%s]: %v", loc, e.Rule, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// InvalidError reports the violations found by validation.
type InvalidError struct {
	Issues []Issue
}

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		lines[i] = is.String()
	}
	return fmt.Sprintf("edxml: invalid package (%d violations):\n  %s", len(e.Issues), strings.Join(lines, "\n  "))
}

// issues collects findings.
type issues []Issue

func (l *issues) warn(path, rule, format string, args ...any) {
	*l = append(*l, Issue{Warning, path, rule, fmt.Sprintf(format, args...)})
}

func (l *issues) violate(path, rule, format string, args ...any) {
	*l = append(*l, Issue{Violation, path, rule, fmt.Sprintf(format, args...)})
}

// bySeverity returns the issues of one severity.
func bySeverity(all []Issue, severity Severity) []Issue {
	var out []Issue
	for _, is := range all {
		if is.Severity == severity {
			out = append(out, is)
		}
	}
	return out
}
