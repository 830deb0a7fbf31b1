package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Journal keeps, across runs, every package the kit sent with its duplicate key and
// the receipt it got, and the bytes in DIR/sent, so that a later run can resend a
// package of an earlier one (3.6) and check that the receipt is the first one.
type Journal struct {
	path    string
	Entries []JournalEntry `json:"entries"`
}

// JournalEntry is one package sent and its receipt.
type JournalEntry struct {
	Run        string    `json:"run"`
	Case       string    `json:"case"`
	From       string    `json:"from"`
	DocumentID string    `json:"document_id"`
	Business   int       `json:"business"`
	Recipient  string    `json:"recipient"`
	PackageID  string    `json:"package_id"`
	ReceiptID  string    `json:"receipt_id"`
	SHA256     string    `json:"sha256"`
	SentAt     time.Time `json:"sent_at"`
	File       string    `json:"file"` // the bytes sent, relative to the kit directory
}

// OpenJournal reads the journal of the kit directory dir (empty when new).
func OpenJournal(dir string) (*Journal, error) {
	j := &Journal{path: filepath.Join(dir, fileJournal)}
	data, err := os.ReadFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to read the journal: %w", err)
	}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("conformance: unable to read the journal %s: %w", j.path, err)
	}
	return j, nil
}

// Record adds an entry and keeps its bytes; the journal is saved at once, so a run
// that stops half-way keeps what it sent.
func (j *Journal) Record(e JournalEntry, body []byte) error {
	e.File = filepath.Join(dirSent, e.PackageID+".edxml")
	if err := os.WriteFile(filepath.Join(filepath.Dir(j.path), e.File), body, 0o644); err != nil {
		return fmt.Errorf("conformance: unable to keep the package sent: %w", err)
	}
	j.Entries = append(j.Entries, e)
	return j.save()
}

// OldestBefore is the earliest entry with a receipt sent before cutoff, if any.
func (j *Journal) OldestBefore(cutoff time.Time) (JournalEntry, bool) {
	for _, e := range j.Entries {
		if e.ReceiptID != "" && e.SentAt.Before(cutoff) {
			return e, true
		}
	}
	return JournalEntry{}, false
}

// Body reads the bytes an entry sent.
func (j *Journal) Body(e JournalEntry) ([]byte, error) {
	body, err := os.ReadFile(filepath.Join(filepath.Dir(j.path), e.File))
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to read a package of the journal: %w", err)
	}
	return body, nil
}

func (j *Journal) save() error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := j.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("conformance: unable to save the journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fmt.Errorf("conformance: unable to save the journal: %w", err)
	}
	return nil
}
