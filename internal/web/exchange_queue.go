package web

import (
	"net/http"
	"time"

	"edms/internal/docs"
)

// exchangeQueuePage is the administrator's view of the agency's exchange queue
// ("Hàng đợi liên thông"): jobs by state, the oldest waiting, the latest failures.
func (s *Server) exchangeQueuePage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	q, err := s.docs.ExchangeQueueOf(r.Context(), s.actorOf(r))
	if err != nil {
		return docsError(err)
	}
	return s.render(w, http.StatusOK, "exchange_queue.html", struct {
		pageBase
		Queue  *docs.ExchangeQueue
		States []queueStateRow
	}{base, q, queueStateRows(q)})
}

// queueStateRow is one River state with its Vietnamese name and how many jobs are in it.
type queueStateRow struct {
	State, Label string
	Count        int
}

var queueStateLabels = map[string]string{
	"available": "Chờ gửi", "running": "Đang gửi", "retryable": "Chờ thử lại",
	"discarded": "Đã hết số lần thử", "cancelled": "Đã hủy",
}

func queueStateRows(q *docs.ExchangeQueue) []queueStateRow {
	rows := make([]queueStateRow, 0, len(docs.QueueStates))
	for _, st := range docs.QueueStates {
		rows = append(rows, queueStateRow{st, queueStateLabels[st], q.Counts[st]})
	}
	return rows
}

func (s *Server) apiExchangeQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := s.docs.ExchangeQueueOf(r.Context(), s.actorOf(r))
	if err != nil {
		return docsError(err)
	}
	type failureJSON struct {
		JobID       int64     `json:"job_id"`
		Kind        string    `json:"kind"`
		State       string    `json:"state"`
		DocumentID  int64     `json:"document_id"`
		Subject     string    `json:"subject"`
		Recipient   string    `json:"recipient"`
		Attempt     int       `json:"attempt"`
		MaxAttempts int       `json:"max_attempts"`
		Error       string    `json:"error"`
		At          time.Time `json:"at"`
	}
	failures := make([]failureJSON, 0, len(q.Failures))
	for _, f := range q.Failures {
		failures = append(failures, failureJSON(f))
	}
	counts := map[string]int{}
	for _, st := range docs.QueueStates {
		counts[st] = q.Counts[st]
	}
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts, "oldest_waiting": q.OldestWaiting, "failures": failures})
	return nil
}
