package docs

// Compile stubs of the exchange's documents functions that other helpers build
// (outbox: MarkSent, MarkFailed; statuses: ApplyStatusTx, ReceiveChangeTx). The
// integrator deletes this file when merging the real ones.

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *Service) MarkSent(ctx context.Context, tx pgx.Tx, docID int64, recipient, receiptID string) error {
	return nil
}

func (s *Service) MarkFailed(ctx context.Context, tx pgx.Tx, docID int64, recipient, reason string) error {
	return nil
}

type StatusUpdate struct {
	SenderAgencyID                               int64
	To                                           string
	ExternalID, Recipient, Code, Note, ReceiptID string
	At                                           time.Time
}

func (s *Service) ApplyStatusTx(ctx context.Context, tx pgx.Tx, u StatusUpdate) (applied bool, err error) {
	return true, nil
}

var ErrUnknownDocument = errors.New("docs: unknown document")

type ChangeRequest struct {
	AgencyID         int64
	ExternalID, From string
	Business         int
	Reason           string
	Update           *Document
	ReceiptID        string
}

func (s *Service) ReceiveChangeTx(ctx context.Context, tx pgx.Tx, c ChangeRequest) error {
	return nil
}
