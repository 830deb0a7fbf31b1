package docs

import (
	"cmp"
	"errors"
	"fmt"

	"context"
	"github.com/google/uuid"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The exchange's jobs: work that a committed step leaves for the node's exchange
// link (package liaison/exchange, which registers their workers). A step inserts
// them with JobInserter.InsertTx in its own transaction, so the job exists exactly
// when the change does; the link completes each in the transaction that records its
// outcome.

// JobInserter inserts River jobs in a caller's transaction (a *river.Client[pgx.Tx]).
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// SendPackageArgs delivers an outgoing document, or a change to it, to one
// recipient outside this node.
type SendPackageArgs struct {
	DocumentID int64  `json:"document_id"` // the outgoing document
	Recipient  string `json:"recipient"`   // the recipient's OrganId
	Business   int    `json:"business"`    // edXML BussinessDocType: 0 new, 1 revoke, 2 update, 3 replace
	Reason     string `json:"reason"`      // for 1, 2, 3
	PackageID  string `json:"package_id"`  // assigned when the job is inserted; the same for every retry
}

// Kind names the job in River's table.
func (SendPackageArgs) Kind() string { return "exchange.send_package" }

// SendStatusArgs sends an edXML status package from one of our agencies to the
// sender of a document it received.
type SendStatusArgs struct {
	AgencyID    int64     `json:"agency_id"`    // our agency that reports
	DocumentID  int64     `json:"document_id"`  // its incoming copy (0 when it never arrived: 16 for an unknown document)
	To          string    `json:"to"`           // the sender's OrganId
	ResponseFor string    `json:"response_for"` // the document's edXML DocumentId
	Code        string    `json:"code"`         // 01–06, 15, 16
	Note        string    `json:"note"`         // the reason (02, 16) or a description
	At          time.Time `json:"at"`           // the status's Timestamp: when the event happened
	PackageID   string    `json:"package_id"`   // assigned when the job is inserted
}

// Kind names the job in River's table.
func (SendStatusArgs) Kind() string { return "exchange.send_status" }

// QueueExchange is the River queue of the exchange's jobs, apart from the
// documents' own background work so that deliveries never wait behind conversions.
const QueueExchange = "exchange"

// exchangeMaxAttempts is how often a delivery is tried, with River's exponential
// backoff (attempt⁴ seconds): about three days before it is given up and shown to
// the clerk as failed.
const exchangeMaxAttempts = 25

// queueExchange inserts an exchange job in the step's transaction, giving it a new
// package id unless it carries one (a resend keeps the id of the package it repeats,
// so that a copy that did arrive is recognised as a duplicate).
func (s *Service) queueExchange(ctx context.Context, tx pgx.Tx, args river.JobArgs) error {
	if s.Queue == nil {
		return errors.New("docs: no job queue configured for the exchange")
	}
	switch a := args.(type) {
	case SendPackageArgs:
		a.PackageID = cmp.Or(a.PackageID, uuid.NewString())
		args = a
	case SendStatusArgs:
		a.PackageID = cmp.Or(a.PackageID, uuid.NewString())
		args = a
	}
	if _, err := s.Queue.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: QueueExchange, MaxAttempts: exchangeMaxAttempts}); err != nil {
		return fmt.Errorf("docs: unable to queue %s: %w", args.Kind(), err)
	}
	return nil
}
